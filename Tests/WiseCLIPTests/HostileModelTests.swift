import Foundation
import Testing
import WiseCore
@testable import WiseCLIP
@testable import WiseJudges

/// Model folders with one thing wrong: each is refused with one line of bad data naming the
/// file and the field, before anything the size implies is allocated, never with a trap.
@Suite struct HostileModelTests {
    /// Loads `folder` and expects a one-line `.badData` error containing `fragment`.
    func expectRefusal(_ folder: ModelFolder, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try folder.load()
            Issue.record("expected a refusal containing \"\(fragment)\", the model loaded", sourceLocation: sourceLocation)
        } catch let error as CLIPError {
            #expect(error.kind == .badData, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
            #expect(!error.message.contains("\n"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a CLIPError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// The fixture with `path` in config.json set to `value`.
    func config(_ path: String, _ value: JSONValue) throws -> ModelFolder {
        var folder = try ModelFolder.fixture()
        folder.config[path: path] = value
        return folder
    }

    /// The fixture with `path` in preprocessor_config.json set to `value`.
    func preprocessor(_ path: String, _ value: JSONValue) throws -> ModelFolder {
        var folder = try ModelFolder.fixture()
        folder.preprocessor[path: path] = value
        return folder
    }

    /// The fixture with field `field` of tensor `tensor` in the safetensors header set to `value`.
    func header(_ tensor: String, _ field: String, _ value: JSONValue) throws -> ModelFolder {
        var folder = try ModelFolder.fixture()
        folder.header[tensor]?[field] = value
        return folder
    }

    static let embedding = "text_model.embeddings.token_embedding.weight"

    @Test func theUnchangedFixtureLoads() throws {
        // Given the fixture written back through the builder, Then it loads as the original does
        let model = try ModelFolder.fixture().load()
        #expect(model.config.vocabularySize == 684)
    }

    // MARK: config.json

    @Test func zeroHiddenSize() throws {
        expectRefusal(try config("text_config.hidden_size", .int(0)), "config.json: text_config.hidden_size is 0, expected 1…16384")
    }

    @Test func negativeHiddenSize() throws {
        expectRefusal(try config("vision_config.hidden_size", .int(-48)), "vision_config.hidden_size is -48, expected 1…16384")
    }

    @Test func hugeHiddenSize() throws {
        expectRefusal(try config("vision_config.hidden_size", .int(1 << 40)), "vision_config.hidden_size is 1099511627776, expected 1…16384")
    }

    @Test func hiddenSizeNotDivisibleByHeads() throws {
        expectRefusal(try config("vision_config.num_attention_heads", .int(5)), "vision_config.hidden_size 48 is not a multiple of num_attention_heads 5")
    }

    @Test func moreHeadsThanHiddenUnits() throws {
        expectRefusal(try config("text_config.num_attention_heads", .int(64)), "text_config.num_attention_heads is 64, expected 1…32")
    }

    @Test func zeroLayers() throws {
        expectRefusal(try config("text_config.num_hidden_layers", .int(0)), "text_config.num_hidden_layers is 0, expected 1…256")
    }

    @Test func moreLayersThanTheFileHolds() throws {
        expectRefusal(try config("vision_config.num_hidden_layers", .int(3)), "no tensor named vision_model.encoder.layers.2.layer_norm1.weight")
    }

    @Test func negativeLayerNormEpsilon() throws {
        expectRefusal(try config("text_config.layer_norm_eps", .double(-1e-5)), "text_config.layer_norm_eps is -1e-05, expected a small positive number")
    }

    @Test func notANumberLayerNormEpsilon() throws {
        // JSON has no NaN; a writer that emits one makes a file no parser accepts.
        expectRefusal(try config("vision_config.layer_norm_eps", .double(.nan)), "config.json: ")
    }

    @Test func overflowingLayerNormEpsilon() throws {
        expectRefusal(try config("vision_config.layer_norm_eps", .raw("1e999")), "config.json: ")
    }

    @Test func hiddenSizeOfTheWrongType() throws {
        expectRefusal(try config("text_config.hidden_size", .string("32")), "config.json: text_config.hidden_size: ")
    }

    @Test func towerOfTheWrongType() throws {
        expectRefusal(try config("vision_config", .array([.int(1)])), "config.json: vision_config: ")
    }

    @Test func configIsNotAnObject() throws {
        var folder = try ModelFolder.fixture()
        folder.rawFiles["config.json"] = "[1, 2, 3]"
        expectRefusal(folder, "config.json: ")
    }

    @Test func configIsCutShort() throws {
        var folder = try ModelFolder.fixture()
        folder.rawFiles["config.json"] = String(folder.config.text.prefix(40))
        expectRefusal(folder, "config.json: ")
    }

    @Test func configOfTwoMegabytes() throws {
        var folder = try ModelFolder.fixture()
        folder.rawFiles["config.json"] = folder.config.text + String(repeating: " ", count: 2 << 20)
        expectRefusal(folder, "config.json: \(folder.config.text.utf8.count + (2 << 20)) bytes is over the limit of 1048576 for the model's config.json")
    }

    @Test func deeplyNestedHeader() throws {
        var folder = try ModelFolder.fixture()
        folder.header["logit_scale"] = .raw(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        expectRefusal(folder, "model.safetensors: the header is not a JSON object of tensors: The given data was not valid JSON.")
    }

    @Test func deeplyNestedVocabulary() throws {
        var folder = try ModelFolder.fixture()
        folder.rawFiles["vocab.json"] = String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        expectRefusal(folder, "vocab.json: ")
    }

    @Test func vocabularySizeBeyondTheCap() throws {
        expectRefusal(try config("text_config.vocab_size", .int(Int.max)), "text_config.vocab_size is \(Int.max), expected 1…1048576")
    }

    @Test func vocabularySizeDisagreesWithTheEmbedding() throws {
        expectRefusal(try config("text_config.vocab_size", .int(1000)), "tensor \(Self.embedding) has shape [684, 32], the config implies [1000, 32]")
    }

    @Test func endTokenOutsideTheVocabulary() throws {
        expectRefusal(try config("text_config.eos_token_id", .int(684)), "text_config.eos_token_id is 684, expected 0…683")
    }

    @Test func negativeStartToken() throws {
        expectRefusal(try config("text_config.bos_token_id", .int(-1)), "text_config.bos_token_id is -1, expected 0…683")
    }

    @Test func tooFewPositions() throws {
        expectRefusal(try config("text_config.max_position_embeddings", .int(1)), "text_config.max_position_embeddings is 1, expected 2…4096")
    }

    @Test func patchSizeNotDividingTheImage() throws {
        expectRefusal(try config("vision_config.patch_size", .int(7)), "image_size 32 is not a multiple of patch_size 7")
    }

    @Test func zeroPatchSize() throws {
        expectRefusal(try config("vision_config.patch_size", .int(0)), "vision_config.patch_size is 0, expected 1…32")
    }

    @Test func tooManyPatches() throws {
        var folder = try config("vision_config.image_size", .int(4096))
        folder.config[path: "vision_config.patch_size"] = .int(1)
        expectRefusal(folder, "4096 patches a side, over the limit of 64")
    }

    @Test func fourChannels() throws {
        expectRefusal(try config("vision_config.num_channels", .int(4)), "num_channels is 4; only RGB (3) is supported")
    }

    @Test func projectionWidthDisagreesWithTheWeights() throws {
        expectRefusal(try config("projection_dim", .int(25)), "tensor visual_projection.weight has shape [24, 48], the config implies [25, 48]")
    }

    @Test func intermediateSizeDisagreesWithTheWeights() throws {
        expectRefusal(try config("text_config.intermediate_size", .int(65)), "tensor text_model.encoder.layers.0.mlp.fc1.weight has shape [64, 32], the config implies [65, 32]")
    }

    @Test func unknownActivation() throws {
        expectRefusal(try config("vision_config.hidden_act", .string("relu")), "hidden_act \"relu\" is not one of")
    }

    // MARK: preprocessor_config.json

    @Test func zeroImageStd() throws {
        expectRefusal(try preprocessor("image_std", .array([.double(0), .double(0.26), .double(0.27)])), "image_std is [0.0, 0.26, 0.27], expected three finite numbers of at least 1e-6")
    }

    @Test func negativeImageStd() throws {
        expectRefusal(try preprocessor("image_std", .array([.double(0.2), .double(-0.26), .double(0.27)])), "image_std is [0.2, -0.26, 0.27]")
    }

    @Test func imageMeanOfTwoChannels() throws {
        expectRefusal(try preprocessor("image_mean", .array([.double(0.5), .double(0.5)])), "image_mean is [0.5, 0.5], expected three finite numbers")
    }

    @Test func imageStdOverflowingFloat() throws {
        expectRefusal(try preprocessor("image_std", .array([.double(1e300), .double(0.26), .double(0.27)])), "image_std is [1e+300, 0.26, 0.27]")
    }

    @Test func zeroShortestEdge() throws {
        expectRefusal(try preprocessor("size.shortest_edge", .int(0)), "size.shortest_edge is 0, expected 1…4096")
    }

    @Test func hugeCrop() throws {
        expectRefusal(try preprocessor("crop_size.height", .int(1 << 50)), "crop_size.height is 1125899906842624, expected 1…4096")
    }

    @Test func sizeWithoutShortestEdge() throws {
        expectRefusal(try preprocessor("size", .object(["height": .int(32)])), "size has no shortest_edge")
    }

    @Test func negativeRescaleFactor() throws {
        expectRefusal(try preprocessor("rescale_factor", .double(-1)), "rescale_factor is -1.0, expected a positive number")
    }

    @Test func unknownResampleFilter() throws {
        expectRefusal(try preprocessor("resample", .int(7)), "resample 7 is not bilinear (2) or bicubic (3)")
    }

    @Test func cropOtherThanTheModelTakes() throws {
        expectRefusal(try preprocessor("crop_size", .int(16)), "crops to (height: 16, width: 16), the model takes 32x32")
    }

    @Test func flagOfTheWrongType() throws {
        expectRefusal(try preprocessor("do_normalize", .string("yes")), "preprocessor_config.json: do_normalize: ")
    }

    // MARK: model.safetensors

    @Test func negativeTensorSize() throws {
        expectRefusal(try header(Self.embedding, "shape", .array([.int(-684), .int(32)])), "tensor \(Self.embedding) has shape [-684, 32], which is not a list of at most 8 sizes ≥ 0")
    }

    @Test func tensorSizesWhoseProductOverflows() throws {
        expectRefusal(try header(Self.embedding, "shape", .array([.int(1 << 32), .int(1 << 32)])), "has shape [4294967296, 4294967296], which is not a list")
    }

    @Test func tensorOfTooManyDimensions() throws {
        expectRefusal(try header("logit_scale", "shape", .array(Array(repeating: .int(1), count: 9))), "which is not a list of at most 8 sizes")
    }

    @Test func offsetsPastTheEnd() throws {
        let folder = try ModelFolder.fixture()
        let end = folder.data.count
        expectRefusal(try header("logit_scale", "data_offsets", .array([.int(end), .int(end + 4)])), "tensor logit_scale declares bytes \(end)..<\(end + 4) for 1 F32 values in a \(end)-byte data section")
    }

    @Test func negativeOffsets() throws {
        expectRefusal(try header("logit_scale", "data_offsets", .array([.int(-4), .int(0)])), "tensor logit_scale declares bytes -4..<0")
    }

    @Test func reversedOffsets() throws {
        expectRefusal(try header("logit_scale", "data_offsets", .array([.int(4), .int(0)])), "tensor logit_scale declares bytes 4..<0")
    }

    @Test func hugeOffsets() throws {
        expectRefusal(try header("logit_scale", "data_offsets", .array([.int(Int.max - 3), .int(Int.max)])), "declares bytes \(Int.max - 3)..<\(Int.max)")
    }

    @Test func offsetsBeyondSixtyFourBits() throws {
        expectRefusal(try header("logit_scale", "data_offsets", .array([.int(0), .raw("18446744073709551620")])), "tensor logit_scale lacks a dtype, shape or data_offsets")
    }

    @Test func threeOffsets() throws {
        expectRefusal(try header("logit_scale", "data_offsets", .array([.int(0), .int(4), .int(8)])), "tensor logit_scale has data_offsets [0, 4, 8]; expected [begin, end]")
    }

    @Test func unsupportedDType() throws {
        expectRefusal(try header("logit_scale", "dtype", .string("I8")), "tensor logit_scale is I8; only F32, F16 and BF16 are read")
    }

    @Test func shapeOfTheWrongType() throws {
        expectRefusal(try header("logit_scale", "shape", .string("[1]")), "tensor logit_scale lacks a dtype, shape or data_offsets")
    }

    @Test func headerIsNotAnObject() throws {
        var folder = try ModelFolder.fixture()
        folder.header = .array([])
        expectRefusal(folder, "model.safetensors: the header is not a JSON object of tensors")
    }

    @Test func headerLengthPastTheFile() throws {
        var folder = try ModelFolder.fixture()
        var bytes = folder.weights
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) })
        folder.rawWeights = bytes
        expectRefusal(folder, "header length 18446744073709551615 does not fit")
    }

    @Test func fileCutShort() throws {
        var folder = try ModelFolder.fixture()
        folder.rawWeights = Array(folder.weights.dropLast(100))
        expectRefusal(folder, "-byte data section")
    }

    @Test func missingTensor() throws {
        var folder = try ModelFolder.fixture()
        folder.header["text_projection.weight"] = nil
        expectRefusal(folder, "no tensor named text_projection.weight")
    }

    @Test func notANumberWeight() throws {
        var folder = try ModelFolder.fixture()
        folder.setFloat(Self.embedding, 7, .nan)
        expectRefusal(folder, "tensor \(Self.embedding) holds nan at index 7; weights must be finite")
    }

    @Test func infiniteWeight() throws {
        var folder = try ModelFolder.fixture()
        folder.setFloat("vision_model.post_layernorm.bias", 3, -.infinity)
        expectRefusal(folder, "tensor vision_model.post_layernorm.bias holds -inf at index 3")
    }

    @Test func temperatureThatOverflows() throws {
        var folder = try ModelFolder.fixture()
        folder.setFloat("logit_scale", 0, 100)
        expectRefusal(folder, "logit_scale 100.0 makes a temperature exp(logit_scale) that is not finite")
    }

    // MARK: vocab.json and merges.txt

    @Test func vocabularyLargerThanTheEmbedding() throws {
        var folder = try ModelFolder.fixture()
        folder.vocabulary["extra</w>"] = .int(684)
        expectRefusal(folder, "token \"extra</w>\" has id 684, outside the model's 684 embedding rows (0…683)")
    }

    @Test func negativeTokenID() throws {
        var folder = try ModelFolder.fixture()
        folder.vocabulary["a</w>"] = .int(-1)
        expectRefusal(folder, "token \"a</w>\" has id -1, outside")
    }

    @Test func hugeTokenID() throws {
        var folder = try ModelFolder.fixture()
        folder.vocabulary["a</w>"] = .int(1 << 62)
        expectRefusal(folder, "has id 4611686018427387904, outside")
    }

    @Test func tokenIDOfTheWrongType() throws {
        var folder = try ModelFolder.fixture()
        folder.vocabulary["a</w>"] = .double(1.5)
        expectRefusal(folder, "vocab.json: a</w>: 1.5 is not an integer that fits in 64 bits")
    }

    @Test func missingEndToken() throws {
        var folder = try ModelFolder.fixture()
        folder.vocabulary["<|endoftext|>"] = nil
        expectRefusal(folder, "vocab.json: the vocabulary lacks <|startoftext|> or <|endoftext|>")
    }

    @Test func mergeOfThreeSymbols() throws {
        var folder = try ModelFolder.fixture()
        folder.merges += "a b c\n"
        expectRefusal(folder, "merges.txt:")
    }

    // MARK: Evidence

    @Test func nonFiniteMeasurementsAreUnscoredAndStorable() throws {
        // Given a judge and measurements where the model produced NaN and infinity
        let model = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let judge = try CLIPJudge(model: model, modelName: "tiny-quick", calibration: .defaults(for: .verified, aestheticHead: false), digestCache: false)
        // When a verdict is made
        let verdict = judge.verdict(["clip_score": .nan, "realism": .infinity, "aesthetic": 0.5])
        // Then it is unscored, naming the values, and its evidence encodes as JSON (as the store does)
        guard case .unscored(let reason, let evidence) = verdict else {
            Issue.record("expected unscored, got \(verdict)")
            return
        }
        #expect(reason == "no finite clip_score measurement for score (not finite: clip_score = nan, realism = inf)")
        #expect(evidence.measurements == ["aesthetic": 0.5])
        #expect(throws: Never.self) { try JSONEncoder().encode(evidence.measurements) }
    }

    @Test func aStripThatWouldResizeTooLargeIsRefused() throws {
        // Given a 1 × 2 000 000 image, which the 32-pixel model would resize to 32 × 64 000 000
        let model = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let judge = try CLIPJudge(model: model, modelName: "tiny-quick", calibration: .defaults(for: .verified, aestheticHead: false), digestCache: false)
        let strip = try RGBImage(width: 1, height: 2_000_000, pixels: [UInt8](repeating: 128, count: 6_000_000))
        // Then it is refused before resizing, and an ordinary image is not
        #expect { try judge.checkResizable(strip) } throws: {
            "\($0)" == "resizing the 1x2000000 image to a shortest side of 32 would make 32x64000000 pixels, over the limit of \(ImageCheck.maxPixels)"
        }
        #expect(throws: Never.self) { try judge.checkResizable(try RGBImage(width: 40, height: 30, pixels: [UInt8](repeating: 0, count: 3600))) }
    }
}

/// Integers written as fractions or out of range name their field.
@Suite struct JSONIntegerTests {
    @Test func fractionalSizeNamesItsField() throws {
        // Given hidden_size 1.5 and a patch size past 2^64
        // Then each error names the field and the value
        #expect { try CLIPConfig(json: Data(#"{"text_config":{"hidden_size":1.5}}"#.utf8)) } throws: {
            "\($0)" == "config.json: text_config.hidden_size: 1.5 is not an integer that fits in 64 bits"
        }
        #expect { try CLIPConfig(json: Data(#"{"vision_config":{"patch_size":18446744073709551620}}"#.utf8)) } throws: {
            "\($0)".hasPrefix("config.json: vision_config.patch_size: ")
        }
        // And a whole number written with a fraction part is accepted
        #expect(try CLIPConfig(json: Data(#"{"projection_dim":512.0}"#.utf8)).projectionDim == 512)
    }
}
