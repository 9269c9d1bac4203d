import Foundation
import Testing
import WiseCore

/// Equal JSON values have one text; different ones keep different texts.
@Suite struct CanonicalJSONTests {
    @Test(arguments: [
        (#"{"a": 1}"#, #"{"a":1}"#), (#"{"a":1.0}"#, #"{"a":1}"#), (#"{"a":1e0}"#, #"{"a":1}"#), (#"{"a":-0}"#, #"{"a":0}"#),
        (#"{"b":1,"a":2}"#, #"{"a":2,"b":1}"#), (#"{"a":1,"a":2}"#, #"{"a":2}"#), (#"{"a":0.10}"#, #"{"a":0.1}"#),
        (#"{"s":"\u00e9\/"}"#, #"{"s":"é/"}"#), (#"{"s":"\ud83e\udd6e"}"#, #"{"s":"🥮"}"#), (#"[ true , false, null ]"#, "[true,false,null]"),
        (#"{"x":{"enable_thinking": false}}"#, #"{"x":{"enable_thinking":false}}"#), (#"{"n":1e2}"#, #"{"n":100}"#),
    ])
    func equalValuesHaveOneText(_ input: String, _ expected: String) throws {
        #expect(try CanonicalJSON.canonicalize(input) == expected)
    }

    @Test func differentValuesStayDifferent() throws {
        let texts = [#"{"a":false}"#, #"{"a":0}"#, #"{"a":"0"}"#, #"{"a":null}"#, #"{"a":[0]}"#, #"{"a":0.5}"#, #"{"a":{}}"#]
        #expect(Set(try texts.map(CanonicalJSON.canonicalize)).count == texts.count)
    }

    @Test(arguments: ["", "{", #"{"a":01}"#, #"{"a":1,}"#, #"{"a":"\ud800"}"#, "[1] 2", "nul", #"{"a":1e999}"#])
    func invalidTextIsRefused(_ text: String) {
        #expect(throws: DataError.self) { try CanonicalJSON.canonicalize(text) }
    }

    @Test func anObjectsMembersKeepTheirFirstPlaceAndLastValue() throws {
        // Given an object with a key twice, nested values spelled loosely, and deep nesting
        let members = try CanonicalJSON.members(ofObject: #" { "b" : 1.0, "a": {"y":2,"x":1}, "b": [ 0.50 ] } "#)
        // Then the members come in first-appearance order with canonical values
        #expect(members.map(\.key) == ["b", "a"] && members.map(\.json) == ["[0.5]", #"{"x":1,"y":2}"#])
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(try CanonicalJSON.members(ofObject: #"{"d":"# + deep + "}").first?.json == deep)
        // And text that is not one object is refused
        for bad in ["", "[1]", #"{"a":1} {}"#, #"{"a":1,}"#] {
            #expect(throws: DataError.self) { try CanonicalJSON.members(ofObject: bad) }
        }
    }
}

/// Records holding non-finite numbers are stored, never a trap.
@Suite struct NonFiniteRecordTests {
    @Test func nanAndInfinitiesRoundTrip() {
        // Given measurements a broken model could produce
        let measured: [String: Double] = ["a": .nan, "b": .infinity, "c": -.infinity, "d": 0.25]
        // When encoded and read back
        let text = WiseJSON.encode(measured)
        let back = WiseJSON.decode([String: Double].self, from: text)
        // Then the text is JSON with the values named, and they come back as they were
        #expect(text == #"{"a":"NaN","b":"Infinity","c":"-Infinity","d":0.25}"#)
        #expect(back?["a"]?.isNaN == true && back?["b"] == .infinity && back?["c"] == -.infinity && back?["d"] == 0.25)
    }
}
