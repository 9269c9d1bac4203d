import Foundation

/// A published WISE leaderboard read from its text: the rows of every table that names a model
/// column, with each number as printed (its value and its decimals).
///
/// Reads the two shapes the official repository publishes: Markdown tables (`leadboard.md`) and
/// HTML tables (`WISE_legacy/README.md`, with one-cell rows naming a section such as "Unify MLLM").
/// Any input is read without trapping: a cell that is not a number is kept as a problem of its row,
/// and only a text with no usable table at all is refused.
public struct PublishedBoard: Sendable, Equatable {
    /// One number as the board prints it.
    public struct Value: Sendable, Equatable {
        /// The number.
        public var value: Double
        /// How many decimals were printed; the true value lies within half a unit of the last one.
        public var decimals: Int
        /// The text as printed, without markup.
        public var text: String

        /// Half a unit of the last printed decimal: how far the true value may lie from `value`.
        public var halfUnit: Double { 0.5 * pow(10, -Double(decimals)) }

        public init(value: Double, decimals: Int, text: String) {
            self.value = value; self.decimals = decimals; self.text = text
        }

        /// Reads a printed number such as `0.4100`, `.5` or `1`; nil for anything else.
        public static func parse(_ raw: String) -> Value? {
            let text = raw.trimmingCharacters(in: .whitespaces)
            guard (1...24).contains(text.utf8.count) else { return nil }
            var digitsBefore = 0, digitsAfter = 0, seenDot = false
            for (index, byte) in text.utf8.enumerated() {
                switch byte {
                case UInt8(ascii: "-") where index == 0: continue
                case UInt8(ascii: "."):
                    if seenDot { return nil }
                    seenDot = true
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if seenDot { digitsAfter += 1 } else { digitsBefore += 1 }
                default: return nil
                }
            }
            guard digitsBefore + digitsAfter > 0, let value = Double(text), value.isFinite else { return nil }
            return Value(value: value, decimals: digitsAfter, text: text)
        }
    }

    /// One model's row.
    public struct Row: Sendable, Equatable {
        public var model: String
        /// The section heading the row sits under ("Dedicated T2I"), when the board has one.
        public var section: String?
        public var rank: Int?
        public var overall: Value?
        public var categories: [Category: Value]
        /// How many items the row says were scored, when the board has such a column.
        public var samples: Int?
        /// How many items each category says were scored (the official scoring scripts print them).
        public var categorySamples: [Category: Int] = [:]
        /// The line of the board the row starts on (1-based).
        public var line: Int
        /// Cells that could not be read ("TIME is 'n/a', not a number").
        public var problems: [String]
    }

    /// Where the board was read from, for messages.
    public var label: String
    public var rows: [Row]

    /// The largest board text read; the official ones are tens of kilobytes.
    public static let maxBytes = 16 << 20

    /// What each column of a table holds.
    enum Column: Equatable {
        case model, rank, overall, samples, category(Category), other
    }

    /// Reads a board: HTML tables when the text has a `<table`, Markdown tables otherwise.
    public static func parse(_ data: Data, label: String) throws -> PublishedBoard {
        guard data.count <= maxBytes else {
            throw DataError("board \(label) is \(data.count) bytes, more than the \(maxBytes) a board may have; name the leaderboard file itself")
        }
        let bytes = [UInt8](data)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("Aggregated Category Scores:") {
            return try parseScoringOutput(text, label: label)
        }
        let isHTML = containsCaseInsensitive(bytes, "<table")
        let rawRows = isHTML ? htmlRows(bytes) : markdownRows(text)
        let rows = interpret(rawRows, sections: isHTML)
        guard !rows.isEmpty else {
            throw DataError("board \(label) holds no \(isHTML ? "HTML" : "Markdown") table with a Model column and score columns; name a leaderboard such as leadboard.md or WISE_legacy/README.md")
        }
        return PublishedBoard(label: label, rows: rows)
    }

    /// A row of cells as found in the text: a table break, or the cells and the line they start on.
    enum RawRow: Equatable {
        case cells([String], line: Int)
        /// The end of a table: the next row needs a new header.
        case tableEnd
    }

    /// The column a header cell names.
    static func column(_ header: String) -> Column {
        let key = String(header.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
        switch key {
        case "model", "models", "method": return .model
        case "rank", "#": return .rank
        case "overall", "wiscore", "overallwiscore", "overallscore": return .overall
        case "samples", "n", "items": return .samples
        case "culture", "cultural", "culturalcommonsense": return .category(.culture)
        case "time": return .category(.time)
        case "space": return .category(.space)
        case "biology": return .category(.biology)
        case "physics": return .category(.physics)
        case "chemistry": return .category(.chemistry)
        default: return .other
        }
    }

    /// Turns rows of cells into board rows: a header row with a Model column starts a table, a
    /// one-cell row names a section (HTML: `<th colspan=…>`), and every other row under a header is a model's row.
    static func interpret(_ raw: [RawRow], sections: Bool) -> [Row] {
        var rows: [Row] = []
        var header: [Column]?
        var section: String?
        for entry in raw {
            guard case .cells(let cells, let line) = entry else { header = nil; section = nil; continue }
            let columns = cells.map(column)
            if columns.contains(.model), columns.contains(where: { if case .category = $0 { return true }; return $0 == .overall }) {
                header = columns
                continue
            }
            let nonEmpty = cells.filter { !$0.isEmpty }
            if sections, cells.count == 1, let only = nonEmpty.first {
                section = only
                continue
            }
            guard let header, !nonEmpty.isEmpty else { continue }
            var row = Row(model: "", section: section, rank: nil, overall: nil, categories: [:], samples: nil, line: line, problems: [])
            if cells.count != header.count {
                row.problems.append("has \(cells.count) cells where the header has \(header.count)")
            }
            for (column, cell) in zip(header, cells) {
                func number(_ name: String) -> Value? {
                    guard let value = Value.parse(cell) else {
                        row.problems.append("\(name) is '\(cell.prefix(40))', not a number")
                        return nil
                    }
                    return value
                }
                switch column {
                case .model: row.model = cell
                case .rank: row.rank = Int(cell)
                case .samples: row.samples = Int(cell)
                case .overall: row.overall = number("Overall")
                case .category(let category): row.categories[category] = number(category.rawValue)
                case .other: break
                }
            }
            if row.model.isEmpty { row.problems.append("has no model name") }
            rows.append(row)
        }
        return rows
    }

    /// Reads what the official scoring scripts (Calculate.py, calculate_verified.py) print: the
    /// "Aggregated Category Scores" blocks (category, average, number of samples) and "Overall WiScore".
    static func parseScoringOutput(_ text: String, label: String) throws -> PublishedBoard {
        var row = Row(model: label, section: nil, rank: nil, overall: nil, categories: [:], samples: nil, line: 1, problems: [])
        var current: Category?
        var inAggregate = false
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Aggregated Category Scores:") { inAggregate = true; row.line = lineNumber; continue }
            func after(_ prefix: String) -> String? { line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) : nil }
            if let overall = after("Overall WiScore:") {
                row.overall = Value.parse(overall)
                if row.overall == nil { row.problems.append("line \(lineNumber): Overall WiScore '\(overall.prefix(40))' is not a number") }
                continue
            }
            guard inAggregate else { continue }
            if let name = after("Category:") {
                current = Category(rawValue: name.uppercased())
                if current == nil { row.problems.append("line \(lineNumber): '\(name.prefix(40))' is not a WISE category") }
            } else if let value = after("Average WiScore:") ?? after("Average binary WiScore:"), let category = current {
                if let parsed = Value.parse(value) { row.categories[category] = parsed } else {
                    row.problems.append("line \(lineNumber): \(category.rawValue) average '\(value.prefix(40))' is not a number")
                }
            } else if let count = after("Number of samples:"), let category = current {
                if let n = Int(count), n >= 0 { row.categorySamples[category] = n } else {
                    row.problems.append("line \(lineNumber): \(category.rawValue) number of samples '\(count.prefix(40))' is not a count")
                }
            } else if line.hasPrefix("---") || line.hasPrefix("===") {
                inAggregate = false
            }
        }
        guard !row.categories.isEmpty || row.overall != nil else {
            throw DataError("scoring output \(label) has no 'Category: … Average WiScore: …' lines after 'Aggregated Category Scores:'; pass the whole output of Calculate.py or calculate_verified.py")
        }
        return PublishedBoard(label: label, rows: [row])
    }

    /// The cells of every Markdown table row (`| a | b |`), separator rows left out.
    static func markdownRows(_ text: String) -> [RawRow] {
        var out: [RawRow] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("|") else {
                if out.last != .tableEnd { out.append(.tableEnd) }
                continue
            }
            var cells = trimmed.split(separator: "|", omittingEmptySubsequences: false).map { cleanCell(String($0)) }
            cells.removeFirst()
            if trimmed.count > 1 && trimmed.hasSuffix("|") { cells.removeLast() }
            let isSeparator = cells.allSatisfy { cell in !cell.isEmpty && cell.allSatisfy { "-:".contains($0) } }
            if !isSeparator { out.append(.cells(cells, line: lineNumber)) }
        }
        return out
    }

    /// The cells of every HTML table row (`<tr><td>…</td></tr>`), markup inside cells removed.
    static func htmlRows(_ bytes: [UInt8]) -> [RawRow] {
        var out: [RawRow] = []
        var cells: [String]?
        var cell: [UInt8]?
        var line = 1, rowLine = 1
        var i = 0
        func endCell() {
            if let c = cell { cells?.append(cleanCell(decodeEntities(String(decoding: c, as: UTF8.self)))) }
            cell = nil
        }
        func endRow() {
            endCell()
            if let c = cells { out.append(.cells(c, line: rowLine)) }
            cells = nil
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") { line += 1 }
            guard byte == UInt8(ascii: "<") else {
                cell?.append(byte)
                i += 1
                continue
            }
            // A tag: find its end, then its name.
            var end = i + 1
            while end < bytes.count && bytes[end] != UInt8(ascii: ">") {
                if bytes[end] == UInt8(ascii: "\n") { line += 1 }
                end += 1
            }
            var nameStart = i + 1
            let closing = nameStart < end && bytes[nameStart] == UInt8(ascii: "/")
            if closing { nameStart += 1 }
            var nameEnd = nameStart
            while nameEnd < end, isASCIILetterOrDigit(bytes[nameEnd]) { nameEnd += 1 }
            let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self).lowercased()
            switch (name, closing) {
            case ("tr", false): endRow(); cells = []; rowLine = line
            case ("tr", true): endRow()
            case ("td", false), ("th", false): endCell(); if cells == nil { cells = []; rowLine = line }; cell = []
            case ("td", true), ("th", true): endCell()
            case ("table", _), ("thead", _), ("tbody", _): endRow(); if name == "table" { out.append(.tableEnd) }
            case ("br", _): cell?.append(UInt8(ascii: " "))
            default: break
            }
            i = end + 1
        }
        endRow()
        return out
    }

    /// A cell's text: markup (`**`, backticks) removed and spaces collapsed.
    static func cleanCell(_ raw: String) -> String {
        let stripped = raw.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "`", with: "")
        return stripped.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The few HTML entities a board uses.
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Whether `bytes` holds an ASCII `needle`, in any case.
    static func containsCaseInsensitive(_ bytes: [UInt8], _ needle: String) -> Bool {
        let pattern = Array(needle.lowercased().utf8)
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return false }
        outer: for start in 0...(bytes.count - pattern.count) {
            for (offset, expected) in pattern.enumerated() {
                var byte = bytes[start + offset]
                if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
                if byte != expected { continue outer }
            }
            return true
        }
        return false
    }
}

extension PublishedBoard {
    /// A model name reduced to lowercase letters and digits, so `FLUX.1-dev`, `flux1-dev` and `Flux 1 Dev` meet.
    public static func normalisedModelName(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII })
    }

    /// The row of a model, matched by normalised name; nil when none or several match.
    public func row(named name: String) -> Row? {
        let key = Self.normalisedModelName(name)
        guard !key.isEmpty else { return nil }
        let matches = rows.filter { Self.normalisedModelName($0.model) == key }
        return matches.count == 1 ? matches[0] : nil
    }
}
