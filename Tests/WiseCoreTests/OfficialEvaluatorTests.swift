import Foundation
import Testing
import WiseCore
import TestSupport

/// The judge request is taken out of the official evaluator scripts by a pinned rule, and a wrong
/// script or a wrong extraction fails loudly.
@Suite struct OfficialEvaluatorTests {
    @Test(arguments: ScoringProtocol.allCases)
    func theSyntheticScriptsFollowTheRule(_ p: ScoringProtocol) throws {
        // Given a script of the official shape with texts of its own, and CRLF line ends
        let text = TestCatalogue.syntheticEvaluator(p).replacingOccurrences(of: "\n", with: "\r\n")
        // When extracted
        let e = try OfficialEvaluator.extract(from: text, scoringProtocol: p, source: "x.py", scriptSHA256: "0")
        // Then the parts are the texts written there, with LF line ends and placeholders
        #expect(e.system == "You are a synthetic \(p.rawValue) judge.")
        #expect(e.template.hasPrefix("Judge this image (a synthetic rubric for tests, {not} the official one).\nAnswer"))
        #expect(e.template.hasSuffix("PROMPT: \"{prompt}\"\nEXPLANATION: \"{explanation}\"\nAnswer now."))
        #expect(!e.template.contains("\r"))
        #expect(e.settings.body["temperature"] == "0.0" && e.settings.reads == 3)
        #expect(e.settings.body["max_tokens"] == (p == .verified ? "500" : "2000"))
        #expect(e.settings.body["chat_template_kwargs"] == (p == .verified ? #"{"enable_thinking":false}"# : nil))
        #expect(e.settings.body["model"] == nil && e.settings.body["messages"] == nil)
    }

    @Test(.enabled(if: Tools.hasOfficialFiles, Comment(rawValue: Tools.Reason.officialFiles)), arguments: ScoringProtocol.allCases)
    func theOfficialScriptsGiveThePinnedParts(_ p: ScoringProtocol) throws {
        // Given the official script of a protocol and the built-in manifest
        let entry = try CatalogueManifest.official.evaluator(for: p)
        let url = TestCatalogue.officialDirectory!.appendingPathComponent(entry.path)
        // When loaded / Then every part matches its pinned hash, and the request settings are the ones the scripts send
        let e = try OfficialEvaluator.load(entry, from: url)
        #expect(e.template.contains("PROMPT: \"{prompt}\"\nEXPLANATION: \"{explanation}\""))
        switch p {
        case .verified:
            #expect(e.system.hasPrefix("You are a professional text-to-image quality auditor."))
            #expect(e.template.contains("obvious visual collapse, severe deformation"))
            #expect(e.settings == .init(body: ["temperature": "0.0", "max_tokens": "500", "chat_template_kwargs": #"{"enable_thinking":false}"#],
                                        reads: 3, timeout: 300))
        case .legacy:
            #expect(e.system.hasPrefix("You are a professional Vincennes image quality audit expert"))
            #expect(e.settings == .init(body: ["temperature": "0.0", "max_tokens": "2000"], reads: 3, timeout: nil))
        }
    }

    @Test func aWrongPinOrAChangedScriptFailsLoudly() throws {
        // Given the synthetic verified script and an entry pinning its parts
        let text = TestCatalogue.syntheticEvaluator(.verified)
        let data = Data(text.utf8)
        let parts = try OfficialEvaluator.extract(from: text, scoringProtocol: .verified, source: "v.py", scriptSHA256: "").partHashes
        let entry = CatalogueManifest.EvaluatorEntry(scoringProtocol: .verified, path: "official/v.py", source: "v.py",
                                                     sha256: SHA256.hex(data), extracted: parts)
        #expect(try OfficialEvaluator.verify(data, entry: entry, label: "v.py").system == "You are a synthetic verified judge.")
        // When the pinned template hash is wrong / Then the extraction is refused, naming the part
        var wrongPin = entry
        wrongPin.extracted["template"] = String(repeating: "0", count: 64)
        #expect(throws: DataError.self) { try OfficialEvaluator.verify(data, entry: wrongPin, label: "v.py") }
        do { _ = try OfficialEvaluator.verify(data, entry: wrongPin, label: "v.py") } catch {
            #expect("\(error)".contains("the extracted template has SHA-256"))
        }
        // When the script's bytes differ from the pin / Then it is refused with both checksums
        var changed = data
        changed[10] ^= 1
        do { _ = try OfficialEvaluator.verify(changed, entry: entry, label: "v.py"); Issue.record("a changed script was accepted") } catch {
            #expect("\(error)".contains("SHA-256 is \(SHA256.hex(changed)), expected \(entry.sha256)"))
        }
        // When the script has an f-string field the rule does not know / Then the extraction fails
        let field = text.replacingOccurrences(of: "{prompt_data['Prompt']}", with: "{prompt_data['Prompt'].upper()}")
        #expect(throws: DataError.self) { try OfficialEvaluator.extract(from: field, scoringProtocol: .verified, source: "v.py", scriptSHA256: "") }
        // When the request dict is gone / Then the settings cannot be found
        let noPayload = text.replacingOccurrences(of: "payload = {", with: "payload = dict(")
        #expect(throws: DataError.self) { try OfficialEvaluator.extract(from: noPayload, scoringProtocol: .verified, source: "v.py", scriptSHA256: "") }
    }
}
