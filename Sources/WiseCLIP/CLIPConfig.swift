import Foundation

/// The activation inside each transformer MLP, as `hidden_act` names it.
public enum CLIPActivation: String, Sendable {
    /// x · σ(1.702 x), used by OpenAI's checkpoints.
    case quickGELU = "quick_gelu"
    /// The exact GELU, x · Φ(x).
    case gelu = "gelu"
    /// The tanh approximation of GELU.
    case geluTanh = "gelu_pytorch_tanh"

    init(name: String, file: String) throws {
        switch name {
        case "quick_gelu": self = .quickGELU
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        default:
            throw CLIPError(.badData, "\(file): hidden_act \"\(name)\" is not one of quick_gelu, gelu, gelu_new, gelu_pytorch_tanh")
        }
    }
}

/// The shape of one tower (text or vision) of a CLIP model.
public struct CLIPTowerConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var activation: CLIPActivation
    public var layerNormEpsilon: Float
}

/// A Hugging Face CLIP `config.json`: both towers, the projection width and token ids.
///
/// Missing fields take the defaults of `CLIPTextConfig` / `CLIPVisionConfig` (ViT-B/32),
/// as the published files rely on them.
public struct CLIPConfig: Sendable, Equatable {
    public var text: CLIPTowerConfig
    public var vision: CLIPTowerConfig
    public var vocabularySize: Int
    /// The text context length (77 for every published CLIP).
    public var maxPositions: Int
    public var bosTokenID: Int
    public var eosTokenID: Int
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var projectionDim: Int

    /// Patches along one side of the image.
    public var gridSize: Int { imageSize / patchSize }

    /// Reads `config.json` at `path`.
    public init(contentsOf path: String) throws {
        try self.init(json: try readModelFile(path, limit: 1 << 20, what: "the model's config.json"), file: path)
    }

    /// The largest sizes accepted from a file: about twice the largest published CLIP
    /// (ViT-bigG/14), so a typo or a hostile file is refused before anything is allocated.
    public enum Limits {
        public static let hiddenSize = 1 << 14
        public static let intermediateSize = 1 << 16
        public static let layers = 256
        public static let vocabularySize = 1 << 20
        public static let maxPositions = 4096
        public static let imageSize = 4096
        /// Patches per image side: 64 × 64 patches is 4097 tokens, whose attention scores fit.
        public static let gridSize = 64
        public static let projectionDim = 1 << 14
    }

    /// `config.json` as written, every field optional (CLIP's defaults fill the gaps).
    private struct File: Decodable {
        var projection_dim: JSONInteger?
        var text_config: Tower?
        var vision_config: Tower?
    }

    private struct Tower: Decodable {
        var hidden_size: JSONInteger?
        var intermediate_size: JSONInteger?
        var num_hidden_layers: JSONInteger?
        var num_attention_heads: JSONInteger?
        var hidden_act: String?
        var layer_norm_eps: Double?
        var vocab_size: JSONInteger?
        var max_position_embeddings: JSONInteger?
        var bos_token_id: JSONInteger?
        var eos_token_id: JSONInteger?
        var image_size: JSONInteger?
        var patch_size: JSONInteger?
        var num_channels: JSONInteger?
    }

    /// Parses config JSON; `file` names it in errors. Every size is range-checked here, so
    /// the products the loader forms from them cannot overflow.
    public init(json: Data, file: String = "config.json") throws {
        let top = try decodeJSON(File.self, from: json, file: file)
        let textFields = top.text_config ?? Tower()
        let visionFields = top.vision_config ?? Tower()
        func size(_ value: JSONInteger?, _ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            let value = value?.value ?? fallback
            guard range.contains(value) else {
                throw CLIPError(.badData, "\(file): \(key) is \(value), expected \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }
        func tower(_ fields: Tower, _ name: String, hidden: Int, intermediate: Int, layers: Int, heads: Int) throws -> CLIPTowerConfig {
            let hiddenSize = try size(fields.hidden_size, name + ".hidden_size", hidden, 1...Limits.hiddenSize)
            let headCount = try size(fields.num_attention_heads, name + ".num_attention_heads", heads, 1...hiddenSize)
            guard hiddenSize % headCount == 0 else {
                throw CLIPError(.badData, "\(file): \(name).hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
            }
            let epsilon = fields.layer_norm_eps ?? 1e-5
            guard epsilon.isFinite, epsilon > 0, epsilon <= 1, Float(epsilon) > 0 else {
                throw CLIPError(.badData, "\(file): \(name).layer_norm_eps is \(epsilon), expected a small positive number such as 1e-05")
            }
            return CLIPTowerConfig(
                hiddenSize: hiddenSize,
                intermediateSize: try size(fields.intermediate_size, name + ".intermediate_size", intermediate, 1...Limits.intermediateSize),
                layers: try size(fields.num_hidden_layers, name + ".num_hidden_layers", layers, 1...Limits.layers),
                heads: headCount,
                activation: try CLIPActivation(name: fields.hidden_act ?? "quick_gelu", file: file),
                layerNormEpsilon: Float(epsilon))
        }
        text = try tower(textFields, "text_config", hidden: 512, intermediate: 2048, layers: 12, heads: 8)
        vision = try tower(visionFields, "vision_config", hidden: 768, intermediate: 3072, layers: 12, heads: 12)
        vocabularySize = try size(textFields.vocab_size, "text_config.vocab_size", 49408, 1...Limits.vocabularySize)
        maxPositions = try size(textFields.max_position_embeddings, "text_config.max_position_embeddings", 77, 2...Limits.maxPositions)
        let tokens = 0...(vocabularySize - 1)
        bosTokenID = try size(textFields.bos_token_id, "text_config.bos_token_id", 49406, tokens)
        eosTokenID = try size(textFields.eos_token_id, "text_config.eos_token_id", 49407, tokens)
        imageSize = try size(visionFields.image_size, "vision_config.image_size", 224, 1...Limits.imageSize)
        patchSize = try size(visionFields.patch_size, "vision_config.patch_size", 32, 1...imageSize)
        channels = try size(visionFields.num_channels, "vision_config.num_channels", 3, 1...Int(Int32.max))
        projectionDim = try size(top.projection_dim, "projection_dim", 512, 1...Limits.projectionDim)
        guard imageSize % patchSize == 0 else {
            throw CLIPError(.badData, "\(file): image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
        guard imageSize / patchSize <= Limits.gridSize else {
            throw CLIPError(.badData, "\(file): image_size \(imageSize) / patch_size \(patchSize) is \(imageSize / patchSize) patches a side, over the limit of \(Limits.gridSize)")
        }
        guard channels == 3 else {
            throw CLIPError(.badData, "\(file): num_channels is \(channels); only RGB (3) is supported")
        }
    }
}

/// The bytes of a small model file (config, tokenizer), refused unread when over `limit`
/// bytes: published ones are a few kilobytes (configs) to about a megabyte (vocab.json).
func readModelFile(_ path: String, limit: Int, what: String) throws -> Data {
    guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
        let data = size <= limit ? FileManager.default.contents(atPath: path) : Data()
    else {
        throw CLIPError(.missingInput, "\(path): cannot read \(what)")
    }
    guard size <= limit, data.count <= limit else {
        throw CLIPError(.badData, "\(path): \(max(size, data.count)) bytes is over the limit of \(limit) for \(what)")
    }
    return data
}

/// An integer in a JSON file. Foundation's decoder calls `1.5` or `1e30` where an `Int`
/// belongs "not valid JSON" and forgets the field; this says which field and what it found.
struct JSONInteger: Decodable, Equatable {
    var value: Int

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.value = value
        } else if let number = try? container.decode(Double.self) {
            guard let value = Int(exactly: number) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(number) is not an integer that fits in 64 bits")
            }
            self.value = value
        } else {
            self.value = try container.decode(Int.self)
        }
    }
}

/// Decodes `type` from `data`, turning any decoding failure into one `.badData` line that
/// names the file and the field (`config.json: text_config.hidden_size: expected Int …`).
func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: data)
    } catch let error as CLIPError {
        throw CLIPError(error.kind, "\(file): \(error.message)")
    } catch let error as DecodingError {
        let (path, detail): ([any CodingKey], String) = switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            (context.codingPath, context.debugDescription)
        @unknown default:
            ([], "\(error)")
        }
        let field = path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        let oneLine = detail.split(whereSeparator: \.isNewline).joined(separator: " ")
        throw CLIPError(.badData, "\(file): \(field.isEmpty ? "" : field + ": ")\(oneLine)")
    } catch {
        throw CLIPError(.badData, "\(file): not valid JSON (\(error))")
    }
}

/// A `preprocessor_config.json` as `CLIPImageProcessor` reads it.
public struct CLIPPreprocessorConfig: Sendable, Equatable {
    /// PIL's resampling filters this implementation reproduces.
    public enum Resample: Int, Sendable {
        case bilinear = 2
        case bicubic = 3
    }

    /// The shortest side after resizing.
    public var shortestEdge: Int
    public var cropHeight: Int
    public var cropWidth: Int
    public var resample: Resample
    public var rescaleFactor: Double
    public var mean: [Float]
    public var std: [Float]
    public var doResize: Bool
    public var doCenterCrop: Bool
    public var doRescale: Bool
    public var doNormalize: Bool

    /// OpenAI's settings for an `imageSize`-pixel model: bicubic, mean and std of their data.
    public static func openAI(imageSize: Int) -> CLIPPreprocessorConfig {
        CLIPPreprocessorConfig(
            shortestEdge: imageSize, cropHeight: imageSize, cropWidth: imageSize, resample: .bicubic,
            rescaleFactor: 1.0 / 255.0,
            mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
            doResize: true, doCenterCrop: true, doRescale: true, doNormalize: true)
    }

    public init(
        shortestEdge: Int, cropHeight: Int, cropWidth: Int, resample: Resample, rescaleFactor: Double,
        mean: [Float], std: [Float], doResize: Bool, doCenterCrop: Bool, doRescale: Bool, doNormalize: Bool
    ) {
        self.shortestEdge = shortestEdge; self.cropHeight = cropHeight; self.cropWidth = cropWidth
        self.resample = resample; self.rescaleFactor = rescaleFactor; self.mean = mean; self.std = std
        self.doResize = doResize; self.doCenterCrop = doCenterCrop; self.doRescale = doRescale
        self.doNormalize = doNormalize
    }

    /// Reads `preprocessor_config.json` at `path`; fields it lacks take OpenAI's values.
    public init(contentsOf path: String, imageSize: Int) throws {
        try self.init(json: try readModelFile(path, limit: 1 << 20, what: "preprocessor_config.json"), imageSize: imageSize, file: path)
    }

    /// `size` and `crop_size` are a number in older files and an object in newer ones.
    private enum Size: Decodable {
        case square(Int)
        case fields(shortestEdge: Int?, height: Int?, width: Int?)

        private enum Keys: String, CodingKey { case shortest_edge, height, width }

        init(from decoder: Decoder) throws {
            if let container = try? decoder.container(keyedBy: Keys.self) {
                self = .fields(
                    shortestEdge: try container.decodeIfPresent(JSONInteger.self, forKey: .shortest_edge)?.value,
                    height: try container.decodeIfPresent(JSONInteger.self, forKey: .height)?.value,
                    width: try container.decodeIfPresent(JSONInteger.self, forKey: .width)?.value)
            } else {
                self = .square(try JSONInteger(from: decoder).value)
            }
        }
    }

    /// The file as written, every field optional.
    private struct File: Decodable {
        var size: Size?
        var crop_size: Size?
        var resample: JSONInteger?
        var rescale_factor: Double?
        var image_mean: [Double]?
        var image_std: [Double]?
        var do_resize: Bool?
        var do_center_crop: Bool?
        var do_rescale: Bool?
        var do_normalize: Bool?
    }

    /// Parses preprocessor JSON; `file` names it in errors. Sizes are capped at
    /// `CLIPConfig.Limits.imageSize`, mean and std must be three finite numbers, std positive.
    public init(json: Data, imageSize: Int, file: String = "preprocessor_config.json") throws {
        let top = try decodeJSON(File.self, from: json, file: file)
        var config = Self.openAI(imageSize: imageSize)
        switch top.size {
        case .square(let side)?: config.shortestEdge = side
        case .fields(let edge?, _, _)?: config.shortestEdge = edge
        case .fields(nil, _, _)?: throw CLIPError(.badData, "\(file): size has no shortest_edge")
        case nil: break
        }
        switch top.crop_size {
        case .square(let side)?: (config.cropHeight, config.cropWidth) = (side, side)
        case .fields(_, let height, let width)?:
            config.cropHeight = height ?? config.cropHeight
            config.cropWidth = width ?? config.cropWidth
        case nil: break
        }
        if let resample = top.resample?.value {
            guard let known = Resample(rawValue: resample) else {
                throw CLIPError(.badData, "\(file): resample \(resample) is not bilinear (2) or bicubic (3)")
            }
            config.resample = known
        }
        let limit = CLIPConfig.Limits.imageSize
        for (name, value) in [("size.shortest_edge", config.shortestEdge), ("crop_size.height", config.cropHeight), ("crop_size.width", config.cropWidth)]
        where !(1...limit).contains(value) {
            throw CLIPError(.badData, "\(file): \(name) is \(value), expected 1…\(limit)")
        }
        if let factor = top.rescale_factor {
            guard factor.isFinite, factor > 0, factor <= 1 else {
                throw CLIPError(.badData, "\(file): rescale_factor is \(factor), expected a positive number up to 1 such as 1/255")
            }
            config.rescaleFactor = factor
        }
        func channels(_ values: [Double]?, _ name: String, positive: Bool) throws -> [Float]? {
            guard let values else { return nil }
            let floats = values.map(Float.init)
            guard floats.count == 3, floats.allSatisfy({ $0.isFinite && (!positive || $0 >= 1e-6) }) else {
                throw CLIPError(.badData, "\(file): \(name) is \(values), expected three finite numbers\(positive ? " of at least 1e-6" : "")")
            }
            return floats
        }
        config.mean = try channels(top.image_mean, "image_mean", positive: false) ?? config.mean
        config.std = try channels(top.image_std, "image_std", positive: true) ?? config.std
        config.doResize = top.do_resize ?? true
        config.doCenterCrop = top.do_center_crop ?? true
        config.doRescale = top.do_rescale ?? true
        config.doNormalize = top.do_normalize ?? true
        self = config
    }
}
