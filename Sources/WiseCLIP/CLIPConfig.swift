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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIPError(.missingInput, "\(path): cannot read the model's config.json")
        }
        try self.init(json: data, file: path)
    }

    /// Parses config JSON; `file` names it in errors.
    public init(json: Data, file: String = "config.json") throws {
        guard let top = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw CLIPError(.badData, "\(file): not a JSON object")
        }
        let textFields = top["text_config"] as? [String: Any] ?? [:]
        let visionFields = top["vision_config"] as? [String: Any] ?? [:]
        func int(_ fields: [String: Any], _ key: String, _ fallback: Int) throws -> Int {
            guard let value = fields[key], !(value is NSNull) else { return fallback }
            guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded(), number.intValue > 0 || key.hasSuffix("token_id")
            else { throw CLIPError(.badData, "\(file): \(key) is \(value), expected a positive integer") }
            return number.intValue
        }
        func float(_ fields: [String: Any], _ key: String, _ fallback: Float) -> Float {
            (fields[key] as? NSNumber)?.floatValue ?? fallback
        }
        func activation(_ fields: [String: Any]) throws -> CLIPActivation {
            try CLIPActivation(name: fields["hidden_act"] as? String ?? "quick_gelu", file: file)
        }
        text = CLIPTowerConfig(
            hiddenSize: try int(textFields, "hidden_size", 512),
            intermediateSize: try int(textFields, "intermediate_size", 2048),
            layers: try int(textFields, "num_hidden_layers", 12),
            heads: try int(textFields, "num_attention_heads", 8),
            activation: try activation(textFields),
            layerNormEpsilon: float(textFields, "layer_norm_eps", 1e-5))
        vision = CLIPTowerConfig(
            hiddenSize: try int(visionFields, "hidden_size", 768),
            intermediateSize: try int(visionFields, "intermediate_size", 3072),
            layers: try int(visionFields, "num_hidden_layers", 12),
            heads: try int(visionFields, "num_attention_heads", 12),
            activation: try activation(visionFields),
            layerNormEpsilon: float(visionFields, "layer_norm_eps", 1e-5))
        vocabularySize = try int(textFields, "vocab_size", 49408)
        maxPositions = try int(textFields, "max_position_embeddings", 77)
        bosTokenID = try int(textFields, "bos_token_id", 49406)
        eosTokenID = try int(textFields, "eos_token_id", 49407)
        imageSize = try int(visionFields, "image_size", 224)
        patchSize = try int(visionFields, "patch_size", 32)
        channels = try int(visionFields, "num_channels", 3)
        projectionDim = try int(top, "projection_dim", 512)
        for (name, tower) in [("text_config", text), ("vision_config", vision)] where tower.hiddenSize % tower.heads != 0 {
            throw CLIPError(.badData, "\(file): \(name).hidden_size \(tower.hiddenSize) is not a multiple of num_attention_heads \(tower.heads)")
        }
        guard imageSize % patchSize == 0 else {
            throw CLIPError(.badData, "\(file): image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
        guard channels == 3 else {
            throw CLIPError(.badData, "\(file): num_channels is \(channels); only RGB (3) is supported")
        }
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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIPError(.missingInput, "\(path): cannot read preprocessor_config.json")
        }
        guard let top = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CLIPError(.badData, "\(path): not a JSON object")
        }
        var config = Self.openAI(imageSize: imageSize)
        // `size` and `crop_size` are a number in older files and an object in newer ones.
        if let size = top["size"] as? NSNumber {
            config.shortestEdge = size.intValue
        } else if let size = top["size"] as? [String: Any] {
            guard let edge = size["shortest_edge"] as? NSNumber else {
                throw CLIPError(.badData, "\(path): size \(size) has no shortest_edge")
            }
            config.shortestEdge = edge.intValue
        }
        if let crop = top["crop_size"] as? NSNumber {
            config.cropHeight = crop.intValue
            config.cropWidth = crop.intValue
        } else if let crop = top["crop_size"] as? [String: Any] {
            config.cropHeight = (crop["height"] as? NSNumber)?.intValue ?? config.cropHeight
            config.cropWidth = (crop["width"] as? NSNumber)?.intValue ?? config.cropWidth
        }
        if let resample = top["resample"] as? NSNumber {
            guard let known = Resample(rawValue: resample.intValue) else {
                throw CLIPError(.badData, "\(path): resample \(resample) is not bilinear (2) or bicubic (3)")
            }
            config.resample = known
        }
        if let factor = top["rescale_factor"] as? NSNumber { config.rescaleFactor = factor.doubleValue }
        if let mean = top["image_mean"] as? [NSNumber], mean.count == 3 { config.mean = mean.map(\.floatValue) }
        if let std = top["image_std"] as? [NSNumber], std.count == 3 { config.std = std.map(\.floatValue) }
        config.doResize = top["do_resize"] as? Bool ?? true
        config.doCenterCrop = top["do_center_crop"] as? Bool ?? true
        config.doRescale = top["do_rescale"] as? Bool ?? true
        config.doNormalize = top["do_normalize"] as? Bool ?? true
        guard config.shortestEdge > 0, config.cropHeight > 0, config.cropWidth > 0 else {
            throw CLIPError(.badData, "\(path): sizes must be positive")
        }
        self = config
    }
}
