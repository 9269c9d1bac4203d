import Foundation
import Testing
import WiseCore
@testable import WiseCLIP

/// SplitMix64: a small seeded generator, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &self)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// Random hostile model folders: each must load (and then embed a text and a non-square
/// image) or be refused as bad data; a trap would end the test process, failing the run.
///
/// Seed, case count and time budget come from `WISE_FUZZ_SEED`, `WISE_FUZZ_CASES` and
/// `WISE_FUZZ_SECONDS` (defaults 0x5EEDC11F, 400 cases, 90 s); the first failing case's
/// mutations are printed, so it replays with the same seed.
@Suite struct ModelFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seed = environment["WISE_FUZZ_SEED"].flatMap { UInt64($0, radix: 16) } ?? 0x5EED_C11F
    static let cases = environment["WISE_FUZZ_CASES"].flatMap(Int.init) ?? 400
    static let seconds = environment["WISE_FUZZ_SECONDS"].flatMap(Int.init) ?? 90

    static let configFields = [
        "projection_dim", "text_config", "vision_config",
        "text_config.hidden_size", "text_config.intermediate_size", "text_config.num_hidden_layers", "text_config.num_attention_heads",
        "text_config.hidden_act", "text_config.layer_norm_eps", "text_config.vocab_size", "text_config.max_position_embeddings",
        "text_config.bos_token_id", "text_config.eos_token_id",
        "vision_config.hidden_size", "vision_config.intermediate_size", "vision_config.num_hidden_layers", "vision_config.num_attention_heads",
        "vision_config.hidden_act", "vision_config.layer_norm_eps", "vision_config.image_size", "vision_config.patch_size", "vision_config.num_channels",
    ]
    static let preprocessorFields = [
        "size", "size.shortest_edge", "crop_size", "crop_size.height", "crop_size.width", "resample", "rescale_factor",
        "image_mean", "image_std", "do_resize", "do_center_crop", "do_rescale", "do_normalize",
    ]

    /// A value a hostile or careless writer might put where a number belongs.
    static func hostileValue(near current: JSONValue?, _ rng: inout SplitMix64) -> JSONValue? {
        var ints = [0, -1, 1, 2, 3, 4, 7, 8, 16, 24, 32, 64, 100, 1 << 31, 1 << 32, 1 << 53, Int.max, Int.min, -(1 << 40)]
        if case .int(let value)? = current { ints += [value &- 1, value &+ 1, value &* 2, value / 2, 0 &- value] }
        let others: [JSONValue?] = [
            nil, .null, .bool(true), .string("12"), .string("quick_gelu"), .string("gelu"), .array([]), .object([:]),
            .double(0.5), .double(-0.0), .double(1e-5), .double(-1e-5), .double(1e308), .double(.nan), .double(.infinity),
            .raw("1e999"), .raw("18446744073709551620"), .raw("1.0e2"),
            .array([.double(0.5), .double(0.5), .double(0.5)]), .array([.int(0), .int(0), .int(0)]), .array([.double(-1)]),
            .object(["shortest_edge": .int(32)]), .object(["height": .int(32), "width": .int(16)]),
        ]
        return rng.chance(0.6) ? .int(rng.pick(ints)) : rng.pick(others)
    }

    /// Applies one random change to `folder` and says what it was.
    static func mutate(_ folder: inout ModelFolder, _ rng: inout SplitMix64) -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0, 1:
            let field = rng.pick(configFields)
            let value = hostileValue(near: folder.config[path: field], &rng)
            folder.config[path: field] = value
            return "config \(field) = \(value?.text ?? "absent")"
        case 2:
            let field = rng.pick(preprocessorFields)
            let value = hostileValue(near: folder.preprocessor[path: field], &rng)
            folder.preprocessor[path: field] = value
            return "preprocessor \(field) = \(value?.text ?? "absent")"
        case 3, 4, 5:
            return mutateHeader(&folder, &rng)
        case 6:
            return mutateBytes(&folder, &rng)
        case 7:
            guard case .object(let tokens) = folder.vocabulary else { return "vocabulary unchanged" }
            let token = rng.chance(0.2) ? rng.pick(["<|startoftext|>", "<|endoftext|>"]) : rng.pick(Array(tokens.keys).sorted())
            let value = hostileValue(near: tokens[token], &rng)
            folder.vocabulary[token] = value
            return "vocab \(token) = \(value?.text ?? "absent")"
        case 8:
            let line = rng.pick(["a", "a b c", " ", "a  b", "\u{0} \u{1}", "th e</w>", "<|endoftext|> <|endoftext|>", String(repeating: "x", count: 300) + " y"])
            folder.merges += line + "\n"
            return "merges += \(line.debugDescription)"
        default:
            let name = rng.pick(["config.json", "preprocessor_config.json", "vocab.json"])
            let text = rng.pick(["", "{", "[]", "null", "{\"a\":", "\u{FEFF}{}", "{}"])
            folder.rawFiles[name] = text
            return "\(name) is \(text.debugDescription)"
        }
    }

    static func mutateHeader(_ folder: inout ModelFolder, _ rng: inout SplitMix64) -> String {
        guard case .object(let entries) = folder.header else { return "header unchanged" }
        let names = entries.keys.filter { $0 != "__metadata__" }.sorted()
        let name = rng.pick(names)
        guard case .object(var entry)? = entries[name] else { return "header unchanged" }
        var description = "tensor \(name)"
        switch Int.random(in: 0..<8, using: &rng) {
        case 0, 1:
            guard case .array(var shape)? = entry["shape"] else { break }
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where !shape.isEmpty: shape[Int.random(in: 0..<shape.count, using: &rng)] = hostileValue(near: shape.first, &rng) ?? .null
            case 1: shape.append(rng.chance(0.5) ? .int(1) : hostileValue(near: nil, &rng) ?? .int(0))
            case 2 where !shape.isEmpty: shape.removeLast()
            default: shape.reverse()
            }
            entry["shape"] = .array(shape)
            description += " shape = \(JSONValue.array(shape).text)"
        case 2, 3:
            guard case .array(var offsets)? = entry["data_offsets"] else { break }
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: offsets[Int.random(in: 0..<offsets.count, using: &rng)] = hostileValue(near: offsets.last, &rng) ?? .null
            case 1: offsets.reverse()
            case 2: offsets.append(.int(0))
            default:
                if case .int(let end) = offsets[1] { offsets[1] = .int(end + rng.pick([-4, -2, -1, 1, 2, 4])) }
            }
            entry["data_offsets"] = .array(offsets)
            description += " data_offsets = \(JSONValue.array(offsets).text)"
        case 4:
            let dtype: JSONValue = rng.pick([.string("F16"), .string("BF16"), .string("F64"), .string("I8"), .string(""), .string("f32"), .int(3), .null])
            entry["dtype"] = dtype
            description += " dtype = \(dtype.text)"
        case 5:
            folder.header[name] = rng.chance(0.5) ? nil : rng.pick([.int(1), .array([]), .string("F32")])
            return description + " removed or replaced"
        case 6:
            // Another tensor's entry: valid bytes, usually the wrong shape.
            let other = rng.pick(names)
            folder.header[name] = entries[other]
            return description + " = entry of \(other)"
        default:
            folder.header["__metadata__"] = rng.pick([.int(3), .object(["a": .int(1)]), .array([]), .null])
            return "metadata replaced"
        }
        folder.header[name] = .object(entry)
        return description
    }

    static func mutateBytes(_ folder: inout ModelFolder, _ rng: inout SplitMix64) -> String {
        var bytes = folder.weights
        // An earlier change may have made the declared length a lie; stay inside the bytes.
        let declared = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let headerLength = Int(min(declared, UInt64(max(bytes.count - 8, 0))))
        guard bytes.count > 16, headerLength > 0 else { return "weights unchanged" }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            let length = rng.pick([0, 1, 2, UInt64(headerLength - 1), UInt64(headerLength + 1), UInt64(bytes.count), 100 << 20, UInt64.max, 1 << 63])
            bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: length.littleEndian) { Array($0) })
            folder.rawWeights = bytes
            return "header length = \(length)"
        case 1:
            let keep = Int.random(in: 0..<bytes.count, using: &rng)
            folder.rawWeights = Array(bytes.prefix(keep))
            return "weights cut to \(keep) bytes"
        case 2:
            let at = Int.random(in: 8..<(8 + headerLength), using: &rng)
            let value = UInt8.random(in: 0...255, using: &rng)
            bytes[at] = value
            folder.rawWeights = bytes
            return "header byte \(at) = \(value)"
        default:
            // Random bits in the data: NaN, infinities, subnormals and huge values among them.
            let at = 8 + headerLength + 4 * Int.random(in: 0..<(folder.data.count / 4), using: &rng)
            guard at + 4 <= bytes.count else { return "weights unchanged" }
            let bits = rng.pick([UInt32(0x7FC0_0000), 0x7F80_0000, 0xFF80_0000, 0x7F7F_FFFF, 0x0000_0001, UInt32.random(in: 0...UInt32.max, using: &rng)])
            bytes.replaceSubrange(at..<(at + 4), with: withUnsafeBytes(of: bits.littleEndian) { Array($0) })
            folder.rawWeights = bytes
            return "data word at \(at) = 0x\(String(bits, radix: 16))"
        }
    }

    @Test func hostileFoldersLoadOrAreRefusedAsBadData() throws {
        // Given the tiny fixture, a seeded generator and a non-square image
        let base = try ModelFolder.fixture()
        let image = try RGBImage(contentsOf: Fixtures.image("gradient-37x23.png"))
        var rng = SplitMix64(state: Self.seed)
        let directory = ModelFolder.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ContinuousClock()
        let start = clock.now
        var loaded = 0, refused = 0, run = 0
        var messages: [String: Int] = [:]
        // When each case's folder (one to three changes) is loaded and, if it loads, used
        for index in 0..<Self.cases where clock.now - start < .seconds(Self.seconds) {
            var folder = base
            let changes = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Self.mutate(&folder, &rng) }
            try? FileManager.default.removeItem(atPath: directory)
            try folder.write(to: directory)
            // Should the process die, this names the case that killed it.
            try? Data("seed \(String(Self.seed, radix: 16)) case \(index): \(changes)\n".utf8).write(to: URL(fileURLWithPath: NSTemporaryDirectory() + "wise-model-fuzz-case.txt"))
            run += 1
            do {
                let model = try CLIPModel(directory: directory, threads: 1)
                let text = model.embedTexts(["a photo of a cat <|endoftext|> 123 !!"])
                let picture = model.embedImages([image])
                #expect(text.count == 1 && picture.count == 1)
                loaded += 1
            } catch let error as CLIPError {
                // Then it is refused as bad data, in one line
                #expect(error.kind == .badData, "case \(index) \(changes): \(error)")
                #expect(!error.message.contains("\n"), "case \(index) \(changes)")
                messages[String(error.message.split(separator: ":").dropFirst().first ?? "").trimmingCharacters(in: .whitespaces).prefix(30).description, default: 0] += 1
                refused += 1
            } catch {
                Issue.record("case \(index) \(changes): not a CLIPError: \(error)")
            }
        }
        print("model fuzz: seed \(String(Self.seed, radix: 16)), \(run) cases in \(clock.now - start): \(loaded) loaded, \(refused) refused, \(messages.count) kinds of message")
        #expect(run >= min(Self.cases, 50))
        #expect(refused > 0 && loaded > 0)
    }
}
