import Foundation
import Synchronization

/// A CLIP model (both towers) loaded from a Hugging Face model folder, computing embeddings
/// and CLIPScore natively on the CPU.
///
/// The folder holds `config.json`, `model.safetensors` (f32, f16 or bf16; converted to f32
/// once), `vocab.json`, `merges.txt` and, optionally, `preprocessor_config.json` (OpenAI's
/// settings otherwise). Weights are immutable after loading, so one model may serve many
/// tasks at once; each call allocates its own activations.
public final class CLIPModel: Sendable {
    /// The model folder it was loaded from.
    public let directory: String
    public let config: CLIPConfig
    public let tokenizer: CLIPTokenizer
    public let preprocessor: CLIPImagePreprocessor
    /// exp(logit_scale): the temperature the logits are multiplied by.
    public let logitScale: Float
    /// Threads per call: a batch of at least this many is split between them, each part run
    /// single-threaded; a smaller one splits each matrix product and the attention heads.
    public let threads: Int
    /// Images or texts per forward pass; larger inputs are split into batches of this size.
    public let maxBatch: Int

    let patchWeight: FloatBuffer
    let classEmbedding: FloatBuffer
    let visionPositions: FloatBuffer
    let preNorm: LayerNorm
    let visionEncoder: Encoder
    let postNorm: LayerNorm
    let visualProjection: Linear
    let tokenEmbedding: FloatBuffer
    let textPositions: FloatBuffer
    let textEncoder: Encoder
    let finalNorm: LayerNorm
    let textProjection: Linear
    let workspaces = WorkspacePool()

    /// Loads the model in `directory`. Sets OpenBLAS (process-wide) to one thread: the model
    /// does its own threading, which keeps working when other processes hold cores.
    public init(directory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount, maxBatch: Int = 16) throws {
        self.directory = directory
        try BLAS.load()
        let config = try CLIPConfig(contentsOf: directory + "/config.json")
        self.config = config
        tokenizer = try CLIPTokenizer(directory: directory, contextLength: config.maxPositions, embeddingRows: config.vocabularySize)
        let preprocessorPath = directory + "/preprocessor_config.json"
        preprocessor = CLIPImagePreprocessor(
            config: FileManager.default.fileExists(atPath: preprocessorPath)
                ? try CLIPPreprocessorConfig(contentsOf: preprocessorPath, imageSize: config.imageSize)
                : .openAI(imageSize: config.imageSize))
        guard preprocessor.outputSize == (config.imageSize, config.imageSize) else {
            throw CLIPError(.badData, "\(preprocessorPath): crops to \(preprocessor.outputSize), the model takes \(config.imageSize)x\(config.imageSize)")
        }
        self.threads = max(1, threads)
        self.maxBatch = max(1, maxBatch)
        BLAS.setThreads(1)

        let loader = WeightLoader(file: try SafetensorsFile(path: directory + "/model.safetensors"))
        let v = config.vision, t = config.text, p = config.patchSize
        patchWeight = try loader.tensor("vision_model.embeddings.patch_embedding.weight", [v.hiddenSize, config.channels, p, p])
        classEmbedding = try loader.tensor("vision_model.embeddings.class_embedding", [v.hiddenSize])
        visionPositions = try loader.tensor("vision_model.embeddings.position_embedding.weight", [config.gridSize * config.gridSize + 1, v.hiddenSize])
        preNorm = try loader.layerNorm("vision_model.pre_layrnorm", dim: v.hiddenSize, epsilon: v.layerNormEpsilon)
        visionEncoder = try Encoder(loader: loader, prefix: "vision_model.encoder", config: v)
        postNorm = try loader.layerNorm("vision_model.post_layernorm", dim: v.hiddenSize, epsilon: v.layerNormEpsilon)
        visualProjection = try loader.linear("visual_projection", in: v.hiddenSize, out: config.projectionDim, bias: false)
        tokenEmbedding = try loader.tensor("text_model.embeddings.token_embedding.weight", [config.vocabularySize, t.hiddenSize])
        textPositions = try loader.tensor("text_model.embeddings.position_embedding.weight", [config.maxPositions, t.hiddenSize])
        textEncoder = try Encoder(loader: loader, prefix: "text_model.encoder", config: t)
        finalNorm = try loader.layerNorm("text_model.final_layer_norm", dim: t.hiddenSize, epsilon: t.layerNormEpsilon)
        textProjection = try loader.linear("text_projection", in: t.hiddenSize, out: config.projectionDim, bias: false)
        let scale = try loader.tensor("logit_scale", [1])
        logitScale = withExtendedLifetime(scale) { Foundation.exp(scale.pointer[0]) }
        guard logitScale.isFinite else {
            throw CLIPError(.badData, "\(loader.file.path): logit_scale \(scale.pointer[0]) makes a temperature exp(logit_scale) that is not finite; published models hold about 4.6")
        }
    }

    // MARK: Images

    /// The preprocessed input for one image: 3 × size × size floats, channel first.
    public func pixelValues(_ image: RGBImage) -> [Float] {
        preprocessor.pixelValues(image)
    }

    /// Projected image features (not normalised), as `get_image_features` returns them.
    public func imageFeatures(_ images: [RGBImage]) -> [[Float]] {
        let plane = 3 * config.imageSize * config.imageSize
        return batches(images.count) { range, threads, workspace in
            let pixels = workspace.pointer(.input, count: range.count * plane)
            for (slot, index) in range.enumerated() {
                preprocessor.write(images[index], into: pixels + slot * plane)
            }
            return visionForward(pixels, batch: range.count, threads: threads, workspace: workspace)
        }
    }

    /// Projected image features from preprocessed inputs (each 3 × size × size floats).
    public func imageFeatures(pixelValues: [[Float]]) throws -> [[Float]] {
        let plane = 3 * config.imageSize * config.imageSize
        for values in pixelValues where values.count != plane {
            throw CLIPError(.badData, "pixel values hold \(values.count) floats; the model takes \(plane)")
        }
        return batches(pixelValues.count) { range, threads, workspace in
            let pixels = workspace.pointer(.input, count: range.count * plane)
            for (slot, index) in range.enumerated() {
                pixelValues[index].withUnsafeBufferPointer { (pixels + slot * plane).update(from: $0.baseAddress!, count: plane) }
            }
            return visionForward(pixels, batch: range.count, threads: threads, workspace: workspace)
        }
    }

    /// Runs `forward` over `count` items in batches of at most `maxBatch`. A batch with at
    /// least `threads` items is split into that many parts run at once, each single-threaded
    /// and with its own workspace (no synchronisation inside the pass); a smaller one runs
    /// whole with `threads` inside each operation. `forward` gets the item range, the threads
    /// it may use and a workspace, and returns one feature vector per item.
    func batches(_ count: Int, _ forward: @Sendable (Range<Int>, Int, Workspace) -> [[Float]]) -> [[Float]] {
        var results: [[Float]] = []
        results.reserveCapacity(count)
        for start in stride(from: 0, to: count, by: maxBatch) {
            let batch = start..<min(start + maxBatch, count)
            let parts = batch.count >= threads ? threads : 1
            if parts == 1 {
                results += workspaces.with { forward(batch, threads, $0) }
                continue
            }
            let outputs = Mutex<[[[Float]]]>(Array(repeating: [], count: parts))
            parallel(parts) { part in
                let range = (batch.lowerBound + batch.count * part / parts)..<(batch.lowerBound + batch.count * (part + 1) / parts)
                let features = workspaces.with { forward(range, 1, $0) }
                outputs.withLock { $0[part] = features }
            }
            results += outputs.withLock { $0.flatMap { $0 } }
        }
        return results
    }

    /// Unit-length image embeddings.
    public func embedImages(_ images: [RGBImage]) -> [[Float]] {
        imageFeatures(images).map(Self.normalized)
    }

    func visionForward(_ pixels: UnsafeMutablePointer<Float>, batch: Int, threads: Int, workspace: Workspace) -> [[Float]] {
        let d = config.vision.hiddenSize, p = config.patchSize, grid = config.gridSize, size = config.imageSize
        let patchCount = grid * grid, tokens = patchCount + 1, patchLength = 3 * p * p
        let x = workspace.pointer(.residual, count: batch * tokens * d)
        let patches = workspace.pointer(.patches, count: patchCount * patchLength)
        for b in 0..<batch {
            // The convolution has stride = kernel, so it is a GEMM over non-overlapping patches
            // laid out (channel, row, column) like the kernel.
            let image = pixels + b * 3 * size * size
            for py in 0..<grid {
                for px in 0..<grid {
                    var out = patches + (py * grid + px) * patchLength
                    for c in 0..<3 {
                        for ky in 0..<p {
                            out.update(from: image + c * size * size + (py * p + ky) * size + px * p, count: p)
                            out += p
                        }
                    }
                }
            }
            let rows = x + b * tokens * d
            BLAS.gemm(
                transposeB: true, m: patchCount, n: d, k: patchLength, a: patches, lda: patchLength,
                b: patchWeight.pointer, ldb: patchLength, beta: 0, c: rows + d, ldc: d)
            rows.update(from: classEmbedding.pointer, count: d)
            for i in 0..<(tokens * d) { rows[i] += visionPositions.pointer[i] }
        }
        preNorm.apply(x, rows: batch * tokens, into: x, threads: threads)
        visionEncoder.forward(x, batch: batch, tokens: tokens, causal: false, threads: threads, workspace: workspace)
        let pooled = FloatBuffer(count: batch * d)
        for b in 0..<batch {
            (pooled.pointer + b * d).update(from: x + b * tokens * d, count: d)
        }
        postNorm.apply(pooled.pointer, rows: batch, into: pooled.pointer, threads: threads)
        return project(pooled, rows: batch, with: visualProjection)
    }

    // MARK: Texts

    /// Token ids for `text`, framed and truncated to the context length.
    public func tokenize(_ text: String) -> [Int] {
        tokenizer.encode(text)
    }

    /// Projected text features (not normalised), as `get_text_features` returns them.
    public func textFeatures(_ texts: [String]) -> [[Float]] {
        // Validated by construction: the tokenizer only yields ids from the vocabulary.
        (try? textFeatures(tokenIDs: texts.map(tokenizer.encode))) ?? []
    }

    /// Projected text features from token ids (each starting with the start token).
    public func textFeatures(tokenIDs: [[Int]]) throws -> [[Float]] {
        for ids in tokenIDs {
            guard !ids.isEmpty, ids.count <= config.maxPositions else {
                throw CLIPError(.badData, "a text has \(ids.count) tokens; the model takes 1 to \(config.maxPositions)")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabularySize }) {
                throw CLIPError(.badData, "token id \(bad) is outside the vocabulary of \(config.vocabularySize)")
            }
        }
        return batches(tokenIDs.count) { range, threads, workspace in
            textForward(Array(tokenIDs[range]), threads: threads, workspace: workspace)
        }
    }

    /// Unit-length text embeddings.
    public func embedTexts(_ texts: [String]) -> [[Float]] {
        textFeatures(texts).map(Self.normalized)
    }

    /// Where a sequence is pooled: its first end token. Configs from before transformers
    /// 4.31 give eos_token_id 2, and then the largest id marks the end, as they computed it.
    func poolIndex(_ ids: [Int]) -> Int {
        if config.eosTokenID == 2 {
            var best = 0
            for (index, id) in ids.enumerated() where id > ids[best] { best = index }
            return best
        }
        return ids.firstIndex(of: config.eosTokenID) ?? 0
    }

    func textForward(_ batch: [[Int]], threads: Int, workspace: Workspace) -> [[Float]] {
        let d = config.text.hiddenSize
        // Shorter texts are padded; the causal mask keeps padding out of every real position.
        let tokens = batch.map(\.count).max() ?? 1
        let x = workspace.pointer(.residual, count: batch.count * tokens * d)
        for (b, ids) in batch.enumerated() {
            for t in 0..<tokens {
                let id = t < ids.count ? ids[t] : tokenizer.endToken
                let row = x + (b * tokens + t) * d
                let embedding = tokenEmbedding.pointer + id * d
                let position = textPositions.pointer + t * d
                for i in 0..<d { row[i] = embedding[i] + position[i] }
            }
        }
        textEncoder.forward(x, batch: batch.count, tokens: tokens, causal: true, threads: threads, workspace: workspace)
        let pooled = FloatBuffer(count: batch.count * d)
        for (b, ids) in batch.enumerated() {
            (pooled.pointer + b * d).update(from: x + (b * tokens + poolIndex(ids)) * d, count: d)
        }
        finalNorm.apply(pooled.pointer, rows: batch.count, into: pooled.pointer, threads: threads)
        return project(pooled, rows: batch.count, with: textProjection)
    }

    private func project(_ pooled: FloatBuffer, rows: Int, with projection: Linear) -> [[Float]] {
        let out = FloatBuffer(count: rows * config.projectionDim)
        defer { withExtendedLifetime((out, pooled)) {} }
        projection.apply(pooled.pointer, rows: rows, into: out.pointer)
        return (0..<rows).map { Array(UnsafeBufferPointer(start: out.pointer + $0 * config.projectionDim, count: config.projectionDim)) }
    }

    // MARK: Scores

    /// logit_scale · cos(image, text) for every pair: `[image][text]`, like `logits_per_image`.
    public func logits(imageFeatures: [[Float]], textFeatures: [[Float]]) -> [[Float]] {
        let texts = textFeatures.map(Self.normalized)
        return imageFeatures.map(Self.normalized).map { image in
            texts.map { logitScale * Self.dot(image, $0) }
        }
    }

    /// CLIPScore: w · max(cos(image, text), 0), with w = 2.5 (Hessel et al., 2021).
    public func clipScore(image: RGBImage, text: String) -> Float {
        Self.clipScore(imageEmbedding: embedImages([image])[0], textEmbedding: embedTexts([text])[0])
    }

    /// CLIPScore from two embeddings (normalised here, so raw features do too).
    public static func clipScore(imageEmbedding: [Float], textEmbedding: [Float], weight: Float = 2.5) -> Float {
        weight * max(cosine(imageEmbedding, textEmbedding), 0)
    }

    /// Cosine similarity of two vectors of equal length.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        dot(normalized(a), normalized(b))
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var total: Float = 0
        for i in 0..<min(a.count, b.count) { total += a[i] * b[i] }
        return total
    }

    static func normalized(_ v: [Float]) -> [Float] {
        let norm = dot(v, v).squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}
