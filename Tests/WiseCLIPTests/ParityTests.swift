import Foundation
import Testing
import WiseCLIP

/// WiseCLIP against transformers on the committed tiny models: same tokens, same pixels,
/// same embeddings to 1e-4.
@Suite struct ParityTests {
    static let models = ["tiny-quick", "tiny-gelu", "tiny-quick-f16", "tiny-quick-bf16"]

    @Test(arguments: ParityTests.models)
    func tokenIDsAreIdentical(model: String) throws {
        // Given a model folder and the captions transformers tokenised
        let reference = try Fixtures.reference(model)
        let clip = try CLIPModel(directory: Fixtures.model(model), threads: 1)
        // When WiseCLIP tokenises them
        let ids = reference.captions.map(clip.tokenize)
        // Then every id matches, truncation and special tokens included
        for (index, caption) in reference.captions.enumerated() {
            #expect(ids[index] == reference.token_ids[index], "caption \(index): \(caption.debugDescription)")
        }
    }

    @Test(arguments: ["tiny-quick", "tiny-gelu"])
    func pixelValuesMatch(model: String) throws {
        // Given the images and transformers' pixel tensors for them
        let reference = try Fixtures.reference(model)
        let clip = try CLIPModel(directory: Fixtures.model(model), threads: 1)
        var worst = 0.0
        for (index, name) in reference.images.enumerated() {
            // When WiseCLIP decodes and preprocesses each image
            let pixels = clip.pixelValues(try RGBImage(contentsOf: Fixtures.image(name)))
            // Then every value is within 1e-5
            let error = maxAbsoluteError(pixels, reference.pixel_values[index])
            worst = max(worst, error)
            #expect(error <= 1e-5, "\(name): max |Δ| \(error)")
        }
        print("parity \(model) pixels: max |Δ| \(worst)")
    }

    @Test(arguments: ParityTests.models)
    func embeddingsAndLogitsMatch(model: String) throws {
        // Given a model folder (f32, or the same weights as f16 / bf16) and its reference outputs
        let reference = try Fixtures.reference(model)
        let clip = try CLIPModel(directory: Fixtures.model(model), threads: 1, maxBatch: 4)
        let images = try reference.images.map { try RGBImage(contentsOf: Fixtures.image($0)) }
        // When WiseCLIP embeds the images and captions, batched
        let imageFeatures = clip.imageFeatures(images)
        let textFeatures = clip.textFeatures(reference.captions)
        let logits = clip.logits(imageFeatures: imageFeatures, textFeatures: textFeatures)
        // Then each embedding and each row of logits is within 1e-4 relative error
        let imageError = zip(imageFeatures, reference.image_features).map(relativeError).max() ?? .infinity
        let textError = zip(textFeatures, reference.text_features).map(relativeError).max() ?? .infinity
        let logitError = zip(logits, reference.logits_per_image).map(relativeError).max() ?? .infinity
        #expect(imageFeatures.count == reference.image_features.count)
        #expect(textFeatures.count == reference.text_features.count)
        #expect(imageError <= 1e-4)
        #expect(textError <= 1e-4)
        #expect(logitError <= 1e-4)
        print("parity \(model): image rel \(imageError), text rel \(textError), logits rel \(logitError)")
    }

    @Test func batchingDoesNotChangeResults() throws {
        // Given the same images embedded one at a time and all together
        let clip = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let images = try ["gradient-37x23.png", "mixed-50x33.jpg", "tiny-8x5.png"].map { try RGBImage(contentsOf: Fixtures.image($0)) }
        let together = clip.embedImages(images)
        let alone = images.map { clip.embedImages([$0])[0] }
        // Then they agree, and unit-length embeddings have norm 1
        for (a, b) in zip(together, alone) { #expect(relativeError(a, b) < 1e-5) }
        let norm = together[0].reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(norm - 1) < 1e-5)
    }

    @Test func threadsDoNotChangeResults() throws {
        // Given the same inputs on one thread and on two (batch split, and within each product)
        let one = try CLIPModel(directory: Fixtures.model("tiny-gelu"), threads: 1)
        let two = try CLIPModel(directory: Fixtures.model("tiny-gelu"), threads: 2)
        let reference = try Fixtures.reference("tiny-gelu")
        let images = try reference.images.map { try RGBImage(contentsOf: Fixtures.image($0)) }
        // Then batches of 7 (split in two) and of 1 (split inside) agree with one thread
        for (a, b) in zip(one.imageFeatures(images), two.imageFeatures(images)) { #expect(relativeError(b, a) < 1e-5) }
        #expect(relativeError(two.imageFeatures([images[0]])[0], one.imageFeatures([images[0]])[0]) < 1e-5)
        for (a, b) in zip(one.textFeatures(reference.captions), two.textFeatures(reference.captions)) { #expect(relativeError(b, a) < 1e-5) }
    }

    @Test func clipScoreIsScaledClampedCosine() throws {
        // Given an image and a caption
        let clip = try CLIPModel(directory: Fixtures.model("tiny-quick"), threads: 1)
        let image = try RGBImage(contentsOf: Fixtures.image("gradient-37x23.png"))
        // When CLIPScore is computed
        let score = clip.clipScore(image: image, text: "a photo of a cat")
        let cosine = CLIPModel.cosine(clip.embedImages([image])[0], clip.embedTexts(["a photo of a cat"])[0])
        // Then it is 2.5 · max(cos, 0)
        #expect(abs(score - 2.5 * max(cosine, 0)) < 1e-6)
        #expect(CLIPModel.clipScore(imageEmbedding: [1, 0], textEmbedding: [-1, 0]) == 0)
    }
}
