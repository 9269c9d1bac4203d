import Foundation
import WiseCore

/// The prompt catalogue tests run against: the official files in `../shared/wise` when they exist,
/// otherwise a synthetic catalogue of the same shape, written to a temporary folder with its own manifest.
public struct TestCatalogue: Sendable {
    /// A folder laid out like `../shared/wise` (legacy/, verified/).
    public let directory: URL
    public let manifest: CatalogueManifest
    /// The manifest file to pass as WISE_MANIFEST, or nil for the built-in one.
    public let manifestPath: String?
    /// True when these are the official files.
    public let isOfficial: Bool

    /// The repository root, found from this source file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/wise` from the repository root, when it holds the official files
    /// (and `WISE_TEST_SYNTHETIC=1` does not ask for the synthetic catalogue instead).
    public static var officialDirectory: URL? {
        if ProcessInfo.processInfo.environment["WISE_TEST_SYNTHETIC"] == "1" { return nil }
        let dir = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/wise")
        let probe = dir.appendingPathComponent("verified/cultural_common_sense_verified.json")
        return FileManager.default.fileExists(atPath: probe.path) ? dir : nil
    }

    /// The official catalogue if present, else a synthetic one.
    public static func make() throws -> TestCatalogue {
        if let dir = officialDirectory {
            return TestCatalogue(directory: dir, manifest: .official, manifestPath: nil, isOfficial: true)
        }
        return try synthetic()
    }

    /// A synthetic catalogue with the official layout, ranges and quirks, and a manifest pinning its hashes.
    ///
    /// `texts` replaces the prompt text of some ids in every set (to test how reports show odd text).
    public static func synthetic(in parent: URL? = nil, texts: [Int: String] = [:]) throws -> TestCatalogue {
        let root = try parent ?? TempDirectory.make("catalogue")
        var manifest = CatalogueManifest.official
        manifest.baseURL = "http://127.0.0.1:1/"
        for s in manifest.sets.indices {
            let entry = manifest.sets[s]
            for f in entry.files.indices {
                let file = entry.files[f]
                let data = syntheticFile(set: entry.name, entry: entry, file: file, texts: texts)
                let url = root.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url)
                manifest.sets[s].files[f].sha256 = SHA256.hex(data)
            }
        }
        for e in (manifest.evaluators ?? []).indices {
            let entry = manifest.evaluators![e]
            let text = syntheticEvaluator(entry.scoringProtocol)
            let url = root.appendingPathComponent(entry.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            let sha = SHA256.hex(text)
            manifest.evaluators![e].sha256 = sha
            manifest.evaluators![e].extracted = try OfficialEvaluator.extract(from: text, scoringProtocol: entry.scoringProtocol,
                                                                            source: entry.source, scriptSHA256: sha).partHashes
        }
        for b in (manifest.boards ?? []).indices {
            let entry = manifest.boards![b]
            let data = Data(syntheticBoard(entry.scoringProtocol).utf8)
            let url = root.appendingPathComponent(entry.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
            manifest.boards![b].sha256 = SHA256.hex(data)
        }
        let manifestURL = root.appendingPathComponent("manifest.json")
        try manifest.jsonData().write(to: manifestURL)
        return TestCatalogue(directory: root, manifest: manifest, manifestPath: manifestURL.path, isOfficial: false)
    }

    /// The JSON of one synthetic file: prompts whose text names set and id, so sets differ from 401 on.
    static func syntheticFile(set: PromptSet, entry: CatalogueManifest.SetEntry, file: CatalogueManifest.FileEntry, texts: [Int: String] = [:]) -> Data {
        var objects: [String] = []
        for id in file.ids[0]...file.ids[1] {
            let category = entry.category(of: id)!
            let sub = "\(category.title) topic \(id % 3)\(set == .legacyRewrite ? " (rewrite)" : "")"
            let text = texts[id] ?? (set == .verified && id > 400 ? "verified scene number \(id)" : "\(set == .legacyRewrite ? "simple" : "knowledge") scene number \(id)")
            objects.append("""
                  {"Prompt": \(jsonString(text)), "Explanation": \(jsonString("what scene \(id) should show")), "Category": \(jsonString(category.title)), "Subcategory": \(jsonString(sub)), "prompt_id": \(id)}
                """)
        }
        return Data(("[\n" + objects.joined(separator: ",\n") + "\n]\n").utf8)
    }

    /// A published board of the official shape (Markdown for verified, HTML tables for legacy) with one made-up row.
    public static func syntheticBoard(_ scoringProtocol: ScoringProtocol) -> String {
        if scoringProtocol == .verified {
            return """
                | Rank | Model | Overall | CULTURE | TIME | SPACE | BIOLOGY | PHYSICS | CHEMISTRY | Samples | Complete |
                | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
                | 1 | Synthetic-Model | 0.5000 | 0.5000 | 0.5000 | 0.5000 | 0.5000 | 0.5000 | 0.5000 | 1000 | yes |

                """
        }
        return """
            <table><thead><tr><th colspan="8">Synthetic</th></tr>
            <tr><th>Model</th><th>Cultural</th><th>Time</th><th>Space</th><th>Biology</th><th>Physics</th><th>Chemistry</th><th>Overall</th></tr></thead>
            <tbody><tr><td>Synthetic-Model</td><td>0.50</td><td>0.50</td><td>0.50</td><td>0.50</td><td>0.50</td><td>0.50</td><td>0.50</td></tr></tbody></table>

            """
    }

    /// An evaluator script of the official scripts' shape with texts of its own, for machines without `../shared/wise`.
    public static func syntheticEvaluator(_ scoringProtocol: ScoringProtocol) -> String {
        let verified = scoringProtocol == .verified
        let call = verified
            ? """
                payload = {
                    "model": cfg["model"],
                    "messages": messages,
                    "temperature": 0.0,
                    "max_tokens": 500,
                    # thinking off
                    "chat_template_kwargs": {"enable_thinking": False},
                }
            """
            : """
                resp = openai.ChatCompletion.create(
                    model=cfg["model"], messages=msgs, temperature=0.0, max_tokens=2000
                )
            """
        let answer = verified ? "Score: 0 or Score: 1" : "Consistency: N\nRealism: N\nAesthetic Quality: N"
        return """
            MAX_EXTRACT_RETRIES = 3
            def parse_arguments():
                parser.add_argument("--timeout", type=int, default=\(verified ? 300 : 60))

            def build_evaluation_messages(prompt_data, image_base64):
                return [
                    {"role": "system", "content": [{"type": "text", "text": "You are a synthetic \(scoringProtocol.rawValue) judge."}]},
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "text",
                                "text": f\"\"\"Judge this image (a synthetic rubric for tests, {{not}} the official one).
            Answer in the form
            \(answer.replacingOccurrences(of: "\\n", with: "\n"))
            PROMPT: "{prompt_data['Prompt']}"
            EXPLANATION: "{prompt_data['Explanation']}"
            Answer now.\"\"\",
                            },
                        ],
                    },
                ]

            def call(msgs):
            \(call)
            """
    }

    /// Environment variables that make the `wise` binary read this catalogue.
    public var environment: [String: String] {
        var env = ["WISE_DATA": directory.path]
        if let manifestPath { env["WISE_MANIFEST"] = manifestPath }
        return env
    }

    /// Loads one set.
    public func load(_ set: PromptSet) throws -> Catalogue {
        try Catalogue.load(set, from: directory, manifest: manifest)
    }
}

/// Fresh temporary folders for tests, under the system temp directory.
public enum TempDirectory {
    public static func make(_ label: String = "wise") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("wise-test-\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
