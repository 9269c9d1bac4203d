import Foundation
import WiseCLIP

/// The fixtures `tools/make_clip_fixtures.py` wrote: tiny models and transformers' outputs.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func model(_ name: String) -> String { root + "/" + name }

    static func image(_ name: String) -> String { root + "/images/" + name }

    /// What transformers computed for one model folder.
    struct Reference: Decodable {
        var captions: [String]
        var images: [String]
        var token_ids: [[Int]]
        var pixel_values: [[Float]]
        var image_features: [[Float]]
        var text_features: [[Float]]
        var logits_per_image: [[Float]]
    }

    static func reference(_ name: String) throws -> Reference {
        let data = try Data(contentsOf: URL(fileURLWithPath: model(name) + "/reference.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }
}

/// ‖a − b‖ / ‖b‖, the deviation the parity tests bound.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    var difference = 0.0, norm = 0.0
    for i in 0..<a.count {
        difference += Double(a[i] - b[i]) * Double(a[i] - b[i])
        norm += Double(b[i]) * Double(b[i])
    }
    return (difference / max(norm, 1e-30)).squareRoot()
}

/// The largest |a − b| over two equally long vectors.
func maxAbsoluteError(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
}
