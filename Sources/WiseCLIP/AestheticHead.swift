/// A LAION-style aesthetic predictor: a stack of linear layers over the unit-length image
/// embedding, giving one score (about 1–10 for the published heads).
///
/// Read from a safetensors file holding `layers.{i}.weight` / `layers.{i}.bias` for the
/// linear layers in order (the published `.pth` converts with
/// `tools/convert_aesthetic_head.py`). The published head has no activations between its
/// layers, and dropout does nothing at inference, so the layers are applied one after another.
public struct AestheticHead: Sendable {
    /// The file it was read from.
    public let path: String
    let layers: [Linear]

    /// The embedding width the head takes.
    public var inputWidth: Int { layers.first?.inFeatures ?? 0 }

    /// Loads the head at `path`; the first layer must take `embeddingWidth` values and the
    /// last must give one.
    public init(path: String, embeddingWidth: Int) throws {
        self.path = path
        let file = try SafetensorsFile(path: path)
        let loader = WeightLoader(file: file)
        let indices = file.entries.keys.compactMap { name -> Int? in
            let parts = name.split(separator: ".")
            guard parts.count == 3, parts[0] == "layers", parts[2] == "weight" else { return nil }
            return Int(parts[1])
        }.sorted()
        var layers: [Linear] = []
        var width = embeddingWidth
        for index in indices {
            let shape = try file.entry("layers.\(index).weight").shape
            guard shape.count == 2, shape[1] == width, shape[0] >= 1 else {
                throw CLIPError(.badData, "\(path): layers.\(index).weight has shape \(shape); it should take \(width) inputs")
            }
            layers.append(try loader.linear("layers.\(index)", in: width, out: shape[0]))
            width = shape[0]
        }
        guard !layers.isEmpty, width == 1 else {
            throw CLIPError(.badData, "\(path): expected linear layers `layers.N.weight` ending in one output")
        }
        self.layers = layers
    }

    /// The score of one unit-length image embedding.
    public func score(_ embedding: [Float]) -> Double {
        var current = embedding
        for layer in layers {
            var next = [Float](repeating: 0, count: layer.outFeatures)
            current.withUnsafeBufferPointer { input in
                next.withUnsafeMutableBufferPointer { layer.apply(input.baseAddress!, rows: 1, into: $0.baseAddress!) }
            }
            current = next
        }
        return Double(current[0])
    }
}
