import Foundation
import Testing
import WiseCore

/// Identities stored in existing result stores never change: the bytes of a spec, its key, a run's fingerprint.
@Suite struct IdentityPinTests {
    /// A worker spec with a slash, quotes, a newline and non-ASCII text in its values.
    static let spec = AdapterSpec(adapter: "worker", parameters: [
        "command": "python3 workers/diffusers_worker.py --model black-forest-labs/FLUX.1-dev",
        "options": #"{"scheduler":"euler"}"#,
        "note": "café \"ü\"\n/x",
    ])

    @Test func anAdapterSpecKeepsItsCanonicalBytesAndKey() {
        // Given a spec / Then its canonical JSON, key and a run's fingerprint are the ones stores already hold
        #expect(Self.spec.canonicalJSON == #"{"adapter":"worker","command":"python3 workers/diffusers_worker.py --model black-forest-labs/FLUX.1-dev","note":"café \"ü\"\n/x","options":"{\"scheduler\":\"euler\"}"}"#)
        #expect(Self.spec.key == "8c8b5b151521e94e")
        let run = RunSpec(name: "r", set: .legacy, scoringProtocol: .legacy, generator: Self.spec, catalogueHash: "abc123")
        #expect(run.fingerprint == "808e546a6b1ac7f866c2520c5ac65c728b907a30a11b202e0b041444b0fdd62b")
    }

    @Test func aStoredSpecParsesBackToTheSameIdentity() throws {
        // Given the canonical text as a store holds it / When parsed back / Then the same spec, key and all
        let parsed = try #require(AdapterSpec.parse(Self.spec.canonicalJSON))
        #expect(parsed == Self.spec && parsed.key == Self.spec.key && parsed.parameters == Self.spec.parameters)
        // And text that is not a spec gives nil
        #expect(AdapterSpec.parse(#"{"command":"x"}"#) == nil && AdapterSpec.parse("[1]") == nil && AdapterSpec.parse("{") == nil)
    }
}

/// The strict reader behind catalogue, score-file and worker-reply checks.
@Suite struct JSONValueReadTests {
    @Test func integersStayIntegersAndEveryOtherValueIsNamed() throws {
        let value = try JSONValue.read(#"{"i": 641, "d": 641.5, "b": true, "s": "641", "n": null, "a": [1], "o": {}}"#)
        #expect(value["i"]?.integer == 641 && value["d"]?.integer == nil && value["b"]?.integer == nil && value["s"]?.integer == nil)
        #expect(value["d"]?.finiteNumber == 641.5 && value["b"]?.finiteNumber == nil)
        #expect(["i", "d", "b", "s", "n", "a", "o"].map { value[$0]!.literal } == ["641", "641.5", "true", #""641""#, "null", "an array", "an object"])
    }

    @Test func textThatIsNotJSONIsADataErrorNotATrap() {
        // Given broken, too deep, and out-of-range text / Then each is an error saying so
        for text in [#"{"a": 5"#, String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "[1e999]", "NaN"] {
            #expect(throws: DataError.self) { try JSONValue.read(text) }
        }
    }
}
