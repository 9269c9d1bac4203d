import Foundation
import Testing
import WiseCore
@testable import WiseJudges

/// The request template written once per judge gives, for every prompt, the user text the rubric renders.
@Suite struct ChatRequestTemplateTests {
    struct Body: Decodable {
        struct Message: Decodable {
            var role: String
            var content: [Part]
        }
        struct Part: Decodable {
            var type: String
            var text: String?
        }
        var messages: [Message]
    }

    @Test(arguments: [
        "Judge {prompt} against {explanation}.",
        "{prompt}{explanation}{prompt}",
        "no placeholders, a stray { and {promp} and {explanation",
        "quotes \" backslashes \\ tabs\t newlines\n and é漢字 {prompt} – {explanation}\u{1}",
        "",
    ])
    func userTextEqualsTheRenderedRubric(_ template: String) throws {
        // Given a rubric with this template and prompts with characters JSON must escape
        let rubric = Rubric(text: template, system: "sys \"x\"", scoringProtocol: .verified, source: "test", name: "t", systemShape: .parts)
        let compiled = ChatRequestTemplate(rubric: rubric, model: "m", members: [("temperature", "0")])
        for (text, explanation) in [("a \"quoted\" {prompt}", "line\nbreak\\"), ("", ""), ("漢字 \u{7f}\u{0}", "{explanation}")] {
            let prompt = Prompt(set: .verified, id: 1, category: .culture, categoryLabel: "c", subcategory: "s", domain: "d",
                                text: text, explanation: explanation)
            // When the body is written and read back as JSON
            let data = compiled.body(prompt: prompt, image: Data([1, 2, 3]), format: .png)
            let body = try JSONDecoder().decode(Body.self, from: data)
            // Then the user text is exactly what the rubric renders
            #expect(body.messages.last?.content.first?.text == rubric.render(for: prompt))
        }
    }
}

/// wise's base64 encoder writes exactly what Foundation's does, for every length class.
@Suite struct Base64Tests {
    @Test func equalsFoundationOnEverySizeAround3() {
        // Given seeded bytes of lengths 0…200 and some large ones
        var state: UInt64 = 0x1234_5678_9ABC_DEF0
        for size in Array(0...200) + [4095, 4096, 4097, 786_433] {
            var bytes = [UInt8](repeating: 0, count: size)
            for i in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
            }
            // When encoded both ways / Then the texts are equal
            var out = [UInt8](repeating: 0, count: Base64.encodedCount(size))
            if !out.isEmpty { bytes.withUnsafeBytes { source in out.withUnsafeMutableBytes { Base64.encode(source, into: $0.baseAddress!) } } }
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString(), "size \(size)")
        }
    }
}
