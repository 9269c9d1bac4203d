import Foundation

/// CLIP's byte-level BPE tokenizer, read from `vocab.json` and `merges.txt`.
///
/// Text is NFC-normalised and lower-cased, split into words (contractions, letter runs,
/// single digits, punctuation runs; whitespace separates and is dropped), each word's UTF-8
/// bytes are mapped to printable characters, `</w>` marks the end of the word, and merges
/// are applied lowest rank first. `<|startoftext|>` and `<|endoftext|>` in the text are
/// special tokens. The result is framed by the start and end tokens and truncated to the
/// context length.
public struct CLIPTokenizer: Sendable {
    public let vocabulary: [String: Int]
    /// Merge ranks keyed by "left right".
    let ranks: [String: Int]
    public let startToken: Int
    public let endToken: Int
    /// Tokens per text including start and end (77 for CLIP).
    public let contextLength: Int

    static let startText = "<|startoftext|>"
    static let endText = "<|endoftext|>"
    static let wordSuffix = "</w>"

    /// Reads `vocab.json` and `merges.txt` from `directory`. With `embeddingRows`, every id
    /// must index a row of the model's token embedding (0 ≤ id < embeddingRows).
    public init(directory: String, contextLength: Int = 77, embeddingRows: Int? = nil) throws {
        let vocabPath = directory + "/vocab.json"
        let mergesPath = directory + "/merges.txt"
        let vocabData = try readModelFile(vocabPath, limit: 64 << 20, what: "the tokenizer vocabulary")
        let mergesData = try readModelFile(mergesPath, limit: 64 << 20, what: "the tokenizer merges")
        let vocabulary = try decodeJSON([String: JSONInteger].self, from: vocabData, file: vocabPath).mapValues(\.value)
        var merges: [(String, String)] = []
        for (index, line) in String(decoding: mergesData, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.hasSuffix("\r") ? line.dropLast() : line
            if text.isEmpty || (index == 0 && text.hasPrefix("#version")) { continue }
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw CLIPError(.badData, "\(mergesPath):\(index + 1): expected two symbols separated by one space")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        try self.init(vocabulary: vocabulary, merges: merges, contextLength: contextLength, embeddingRows: embeddingRows, file: vocabPath)
    }

    /// A tokenizer from a vocabulary and merges in rank order. With `embeddingRows`, every
    /// id must index a row of the model's token embedding.
    public init(vocabulary: [String: Int], merges: [(String, String)], contextLength: Int = 77, embeddingRows: Int? = nil, file: String = "vocab.json") throws {
        guard let start = vocabulary[Self.startText], let end = vocabulary[Self.endText] else {
            throw CLIPError(.badData, "\(file): the vocabulary lacks \(Self.startText) or \(Self.endText)")
        }
        guard contextLength >= 2 else { throw CLIPError(.badData, "context length \(contextLength) leaves no room for start and end") }
        let rows = embeddingRows ?? Int.max
        if let (token, id) = vocabulary.first(where: { $0.value < 0 || $0.value >= rows }) {
            let bound = embeddingRows.map { "the model's \($0) embedding rows (0…\($0 - 1))" } ?? "0 and up"
            throw CLIPError(.badData, "\(file): token \(token.debugDescription) has id \(id), outside \(bound)")
        }
        self.vocabulary = vocabulary
        var ranks: [String: Int] = [:]
        for (rank, pair) in merges.enumerated() where ranks[pair.0 + " " + pair.1] == nil {
            ranks[pair.0 + " " + pair.1] = rank
        }
        self.ranks = ranks
        startToken = start
        endToken = end
        self.contextLength = contextLength
    }

    /// Token ids of `text`: start, at most `contextLength - 2` text tokens, end.
    public func encode(_ text: String) -> [Int] {
        var ids = [startToken]
        let limit = contextLength - 1
        for piece in Self.splitSpecial(text) {
            switch piece {
            case .special(let token):
                ids.append(token == Self.startText ? startToken : endToken)
            case .text(let chunk):
                let normalized = Self.lowercased(chunk.precomposedStringWithCanonicalMapping)
                for word in Self.words(normalized) {
                    ids.append(contentsOf: bpe(word))
                    if ids.count >= limit { break }
                }
            }
            if ids.count >= limit { break }
        }
        if ids.count > limit { ids.removeSubrange(limit...) }
        ids.append(endToken)
        return ids
    }

    /// Lower-cases scalar by scalar with Unicode's full mappings and no context rules, as the
    /// reference normaliser does: a word-final capital sigma becomes σ, not ς.
    static func lowercased(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return String(out)
    }

    enum Piece: Equatable {
        case text(String)
        case special(String)
    }

    /// Splits out the literal special tokens, which are matched before any normalisation.
    static func splitSpecial(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            let start = rest.range(of: startText)
            let end = rest.range(of: endText)
            let next = [start, end].compactMap { $0 }.min { $0.lowerBound < $1.lowerBound }
            guard let found = next else { pieces.append(.text(String(rest))); break }
            if found.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<found.lowerBound]))) }
            pieces.append(.special(String(rest[found])))
            rest = rest[found.upperBound...]
        }
        return pieces
    }

    /// The pre-tokenizer: `'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`, tried in
    /// that order at each position; what matches none of them (whitespace) is skipped.
    static func words(_ text: String) -> [[Unicode.Scalar]] {
        let scalars = Array(text.unicodeScalars)
        var words: [[Unicode.Scalar]] = []
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            if scalar == "'", let length = contraction(scalars, at: i) {
                words.append(Array(scalars[i..<i + length]))
                i += length
            } else if isLetter(scalar) {
                var j = i + 1
                while j < scalars.count, isLetter(scalars[j]) { j += 1 }
                words.append(Array(scalars[i..<j]))
                i = j
            } else if isNumber(scalar) {
                words.append([scalar])
                i += 1
            } else if scalar.properties.isWhitespace {
                i += 1
            } else {
                var j = i + 1
                while j < scalars.count, !isLetter(scalars[j]), !isNumber(scalars[j]), !scalars[j].properties.isWhitespace { j += 1 }
                words.append(Array(scalars[i..<j]))
                i = j
            }
        }
        return words
    }

    private static func contraction(_ scalars: [Unicode.Scalar], at i: Int) -> Int? {
        func has(_ suffix: String) -> Bool {
            let tail = Array(suffix.unicodeScalars)
            guard i + 1 + tail.count <= scalars.count else { return false }
            return Array(scalars[(i + 1)..<(i + 1 + tail.count)]) == tail
        }
        for suffix in ["s", "t", "re", "ve", "m", "ll", "d"] where has(suffix) { return 1 + suffix.unicodeScalars.count }
        return nil
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// GPT-2's byte → character table: printable Latin-1 bytes stand for themselves, the
    /// rest are moved to U+0100 and up, so every byte is a visible character.
    static let byteCharacters: [String] = {
        var table = [String](repeating: "", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let code = printable ? UInt32(byte) : { defer { next += 1 }; return next }()
            table[byte] = String(Character(Unicode.Scalar(code)!))
        }
        return table
    }()

    /// Token ids of one pre-tokenized word.
    func bpe(_ word: [Unicode.Scalar]) -> [Int] {
        var symbols = String(String.UnicodeScalarView(word)).utf8.map { Self.byteCharacters[Int($0)] }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += Self.wordSuffix
        while symbols.count > 1 {
            var best = Int.max
            var bestIndex = -1
            for i in 0..<(symbols.count - 1) {
                if let rank = ranks[symbols[i] + " " + symbols[i + 1]], rank < best {
                    best = rank
                    bestIndex = i
                }
            }
            guard bestIndex >= 0 else { break }
            let left = symbols[bestIndex], right = symbols[bestIndex + 1]
            var merged: [String] = []
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i < symbols.count - 1, symbols[i] == left, symbols[i + 1] == right {
                    merged.append(left + right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        // A symbol outside the vocabulary becomes the unknown token, which CLIP sets to <|endoftext|>.
        return symbols.map { vocabulary[$0] ?? endToken }
    }
}
