import Testing
import WiseHTTP

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test func lookupIgnoresCaseAndKeepsOrder() {
        // Given headers with a repeated name in mixed case
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Set-Cookie": "a=1"]
        headers.add("set-cookie", "b=2")

        // When we look them up under other spellings
        let type = headers["CONTENT-TYPE"]
        let cookies = headers.values(for: "Set-Cookie")

        // Then case does not matter and order is kept
        #expect(type == "application/json")
        #expect(cookies == ["a=1", "b=2"])
        #expect(headers["X-Missing"] == nil)
        #expect(headers.count == 3)
    }

    @Test func setReplacesEverySpelling() {
        // Given a header present twice under different cases
        var headers = HTTPHeaders([("Accept", "a"), ("ACCEPT", "b")])

        // When we set it
        headers.set("accept", "c")

        // Then one field remains, with the new value
        #expect(headers.values(for: "Accept") == ["c"])
        #expect(headers.count == 1)
    }

    @Test func descriptionShowsNamesNotValues() {
        // Given a header holding a secret
        let headers: HTTPHeaders = ["Authorization": "Bearer sk-SECRET"]

        // When it is printed
        let text = String(describing: headers)

        // Then the name shows and the value does not
        #expect(text.contains("Authorization"))
        #expect(!text.contains("SECRET"))
    }
}
