import Foundation
import WiseCore

/// The `.wise-export` file in an export folder: the name and SHA-256 of each file wise wrote there,
/// so a later export may replace its own files but never someone else's.
public struct ExportLedger {
    /// Where the ledger lives.
    public let url: URL
    /// File name to the SHA-256 of the bytes wise wrote.
    public let entries: [String: String]

    /// Reads the ledger of `folder` (empty when there is none).
    public init(folder: URL) {
        url = folder.appendingPathComponent(".wise-export")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        entries = Dictionary(text.split(separator: "\n").compactMap { line -> (String, String)? in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[1], parts[0]) : nil
        }, uniquingKeysWith: { $1 })
    }

    /// Whether these bytes under this name are what wise wrote last.
    public func wrote(_ name: String, _ data: Data) -> Bool { entries[name] == SHA256.hex(data) }

    /// Notes the files just written.
    public func record(_ files: [(name: String, data: Data)]) throws {
        var all = entries
        for (name, data) in files { all[name] = SHA256.hex(data) }
        try writeAtomically(Data(all.keys.sorted().map { "\(all[$0]!) \($0)\n" }.joined().utf8), to: url)
    }
}
