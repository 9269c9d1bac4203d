import Foundation
import Testing
import TestSupport

/// The help of every command, found by walking `wise --help` and each SUBCOMMANDS list: each
/// default said once, examples that fit an 80-column terminal, only options the command has.
@Suite struct HelpTextTests {
    /// One command's help as `wise … --help` prints it on a very wide terminal (nothing wrapped).
    struct Help {
        var path: [String]
        var text: String
        var name: String { (["wise"] + path).joined(separator: " ") }

        /// The names in its SUBCOMMANDS section (`list (default)` gives `list`).
        var subcommands: [String] {
            section("SUBCOMMANDS:").compactMap { line in
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                return line.split(separator: " ").first.map(String.init)
            }.filter { $0 != "help" && $0 != "See" }
        }

        /// The lines of one section, from its heading to the next blank line.
        func section(_ heading: String) -> [String] {
            let lines = text.components(separatedBy: "\n")
            guard let start = lines.firstIndex(of: heading) else { return [] }
            return Array(lines[(start + 1)...].prefix { !$0.isEmpty })
        }

        /// Each option's entry: its first line and the indented lines that continue it.
        var optionEntries: [String] {
            var entries: [String] = []
            var inOptions = false
            for line in text.components(separatedBy: "\n") {
                if line.hasSuffix(":") && !line.hasPrefix(" ") { inOptions = line != "SUBCOMMANDS:" && line != "USAGE:"; continue }
                guard inOptions, !line.isEmpty else { continue }
                if line.hasPrefix("  ") && !line.hasPrefix("   ") { entries.append(line) } else if !entries.isEmpty { entries[entries.count - 1] += " " + line }
            }
            return entries
        }

        /// Every `--name` the command lists as an option (aliases included: `--reads, --parse-attempts`).
        var options: Set<String> {
            Set(optionEntries.flatMap { entry in
                entry.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ").first!
                    .split(separator: ",").compactMap { $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) }
                    .filter { $0.hasPrefix("--") }
            })
        }

        /// The overview and discussion: everything before USAGE.
        var overview: [String] {
            Array(text.components(separatedBy: "\n").prefix { !$0.hasPrefix("USAGE:") })
        }
    }

    static func helps() async throws -> [Help] {
        let ws = try Workspace(label: "help", extraEnvironment: ["COLUMNS": "1000"])
        var found: [Help] = []
        var queue: [[String]] = [[]]
        while !queue.isEmpty {
            let path = queue.removeFirst()
            let result = try await ws.run(path + ["--help"])
            #expect(result.status == 0, "wise \(path.joined(separator: " ")) --help: \(result.stderr)")
            let help = Help(path: path, text: result.stdout)
            found.append(help)
            queue += help.subcommands.map { path + [$0] }
        }
        return found
    }

    @Test func everyCommandsHelpSaysEachDefaultOnceFitsItsExamplesAndNamesOnlyItsOptions() async throws {
        // Given the help of every command and subcommand
        let helps = try await Self.helps()
        #expect(helps.count >= 20 && helps.contains { $0.path == ["catalogue", "fetch"] }, "\(helps.map(\.name))")
        let defaultWord = try Regex(#"(?i)\bdefault\b"#)
        let flag = try Regex(#"(?:^|[^\w-])(--[a-z][a-z0-9-]*)"#)
        for help in helps {
            // Then no option says its default twice (in its own words and again as ArgumentParser's "(default: …)")
            for entry in help.optionEntries {
                #expect(entry.matches(of: defaultWord).count <= 1, "\(help.name): \(entry)")
            }
            // And every example line fits an 80-column terminal, so none is wrapped mid-command
            for line in help.overview where line.hasPrefix("  ") {
                #expect(line.count <= 79, "\(help.name): an example of \(line.count) columns wraps at 80: \(line)")
            }
            // And the prose names only options the command has (a quoted other command may name its own)
            let body = help.text.components(separatedBy: "\n").drop { !$0.hasPrefix("USAGE:") }.dropFirst(2)
                .prefix { $0 != "SUBCOMMANDS:" }.joined(separator: "\n")
                .replacing(try Regex("`[^`]*`"), with: "")
            let named = Set(body.matches(of: flag).compactMap { $0.output[1].substring.map(String.init) })
            #expect(named.subtracting(help.options).isEmpty, "\(help.name) mentions \(named.subtracting(help.options).sorted()), which it lacks")
        }
    }

    @Test func aMistypedCommandGetsDidYouMeanAtEveryDepth() async throws {
        // Given mistyped commands at the top and one level down
        let ws = try Workspace(label: "typo")
        let typos: [(arguments: [String], parent: String, suggestion: String)] = [
            (["reprot"], "wise", "report"), (["catalogue", "fecth"], "wise catalogue", "fetch"),
            (["models", "lsit"], "wise models", "list"), (["catalogue", "stast", "--set", "verified"], "wise catalogue", "stats"),
        ]
        for typo in typos {
            // When run / Then one usage line naming the word, its command and the suggestion, exit 64
            let result = try await ws.run(typo.arguments)
            let word = typo.arguments.last { !$0.hasPrefix("-") && $0 != "verified" }!
            #expect(result.status == 64 && result.errorLines.count == 1, "\(typo.arguments): \(result.stderr)")
            #expect(result.stderr.contains("'\(word)' is not a command of \(typo.parent) (did you mean '\(typo.suggestion)'?)"),
                    "\(typo.arguments): \(result.stderr)")
        }
        // And a word that is an argument, not a command, gets no suggestion
        let other = try await ws.run(["report", "reprot", "--store", ws.storePath])
        #expect(!other.stderr.contains("did you mean"), "\(other.stderr)")
    }

    @Test func theVerifiedJudgesModelIsSpelledAsTheOfficialScriptServesIt() throws {
        // Given the name the official eval_qwen.sh serves (where the official scripts are here) and wise's own files
        let served = "Qwen3.5-35B-A3B"
        let official = TestCatalogue.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/wise/official/eval_qwen.sh")
        if let script = try? String(contentsOf: official, encoding: .utf8) {
            #expect(script.contains("JUDGE_MODEL=\"${JUDGE_MODEL:-\(served)}\""), "eval_qwen.sh serves another name now")
        }
        let root = TestCatalogue.repositoryRoot
        var files = ["README.md", "CONTRIBUTING.md"].map { root.appendingPathComponent($0) }
        for folder in ["Sources", "deploy", "workers", "models", "tools"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL { files.append(url) }
        }
        // When every spelling of a Qwen 3.5 model is collected / Then there is one, the served name
        let variant = try Regex(#"(?i)[\w./-]*qwen[-_ ]?3[._]?5[\w./-]*"#)
        var spellings: [String: [String]] = [:]
        for url in files {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for match in text.matches(of: variant) { spellings[String(text[match.range]), default: []].append(url.lastPathComponent) }
        }
        #expect(Array(spellings.keys) == [served] && spellings[served]!.count >= 5, "\(spellings)")
    }
}
