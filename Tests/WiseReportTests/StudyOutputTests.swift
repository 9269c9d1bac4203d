import Foundation
import Testing
@testable import WiseReport
import WiseCore

/// The report's one HTML escaping function and the studies' JSON writer.
@Suite struct StudyOutputTests {
    @Test func escapingLeavesNoMarkup() {
        // Given text with every character HTML treats specially
        let text = "<script>alert(1)</script> & \"double\" 'single' <img src=x onerror=alert(2)>"
        // When escaped
        let escaped = escapeHTML(text)
        // Then no markup character is left, and undoing the five entities gives the text back
        #expect(!escaped.contains("<") && !escaped.contains(">") && !escaped.contains("\"") && !escaped.contains("'"))
        #expect(escaped.hasPrefix("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; &#39;single&#39;"))
        let undone = escaped.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
        #expect(undone == text)
        // And text without special characters (including non-ASCII) is unchanged
        #expect(escapeHTML("Müller — 東京 0.5") == "Müller — 東京 0.5")
    }

    @Test func jsonWriterRoundTripsThroughAParser() throws {
        // Given values with control characters, quotes, nulls, non-finite numbers and full-precision doubles
        let value = JSONValue.object([("text", .string("a\"b\\c\nd\u{1}e\u{2028}")), ("none", .null), ("x", .number(0.1 + 0.2)),
                                      ("inf", .number(.infinity)), ("list", .array([.int(1), .number(2.5), .bool(true)])),
                                      ("nested", .object([("k", .num(nil))]))])
        // When rendered and parsed by Foundation's parser
        let text = value.rendered()
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        // Then every value reads back exactly, null stays null and infinity is a string
        #expect(parsed["text"] as? String == "a\"b\\c\nd\u{1}e\u{2028}")
        #expect(parsed["none"] is NSNull)
        // (the number is checked in the text: Foundation's parser on Linux may miss the last bit)
        #expect(text.contains("\"x\": 0.30000000000000004") && Double("0.30000000000000004") == 0.1 + 0.2)
        #expect(parsed["inf"] as? String == "inf")
        #expect(((parsed["nested"] as! [String: Any])["k"]) is NSNull)
    }
}
