import Foundation

/// Removes a secret from any text that may be stored, logged or printed: the whole key, and any
/// run of 8 or more of its first characters (a key cut short in an echo is still most of a key).
public struct Redactor: Sendable, Equatable {
    /// The secret; nil or shorter than 4 characters redacts nothing.
    public let secret: String?

    public init(secret: String?) { self.secret = secret }

    /// The text with the secret and its long prefixes replaced by `***`.
    public func callAsFunction(_ text: String) -> String {
        guard let key = secret, key.count >= 4 else { return text }
        var result = text.replacingOccurrences(of: key, with: "***")
        let keyBytes = Array(key.utf8)
        guard keyBytes.count >= 8 else { return result }
        let stem = String(decoding: keyBytes.prefix(8), as: UTF8.self)
        while let found = result.range(of: stem) {
            // Extend the match as far as the text keeps following the key.
            let tail = Array(result[found.upperBound...].utf8)
            var matched = 8
            while matched < keyBytes.count, matched - 8 < tail.count, tail[matched - 8] == keyBytes[matched] { matched += 1 }
            let end = result.utf8.index(found.lowerBound, offsetBy: matched)
            result.replaceSubrange(found.lowerBound..<end, with: "***")
        }
        return result
    }
}
