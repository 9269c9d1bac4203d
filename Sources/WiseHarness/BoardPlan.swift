import Foundation
import WiseCore

/// What `wise board plan` prints: each run of a board as the `wise generate` and `wise judge`
/// arguments a cluster recipe submits (`deploy/slurm/submit-board.sh` reads the shell form).
public struct BoardPlan {
    /// How the plan is written.
    public enum Format: String, CaseIterable, Sendable {
        /// One line per run of shell assignments (RUN_NAME, SET, MODEL, GEN_ARGS, JUDGE_ARGS, IDS, LIMIT) for `eval`.
        case shell
        /// One JSON object with every run's arguments as lists.
        case json
    }

    /// One run as a recipe needs it.
    struct Item: Encodable {
        var run: String
        var set: String
        var model: String?
        var generateArgs: [String]
        var judgeArgs: [String]
        var ids: String?
        var limit: Int?

        enum CodingKeys: String, CodingKey {
            case run, set, model, ids, limit
            case generateArgs = "generate_args", judgeArgs = "judge_args"
        }
    }

    public var spec: BoardSpec

    public init(spec: BoardSpec) { self.spec = spec }

    var items: [Item] {
        spec.runs.map {
            Item(run: $0.name, set: $0.set.rawValue, model: $0.entry.model, generateArgs: $0.entry.generateArguments,
                 judgeArgs: spec.judgeArguments, ids: spec.ids, limit: spec.limit)
        }
    }

    /// The plan as text in `format`.
    public func render(_ format: Format) -> String {
        switch format {
        case .json:
            return String(decoding: (try? WiseJSON.encoder(pretty: true).encode(["runs": items])) ?? Data(), as: UTF8.self) + "\n"
        case .shell:
            return items.map { item in
                var pairs = [("RUN_NAME", item.run), ("SET", item.set), ("MODEL", item.model ?? ""),
                             ("GEN_ARGS", item.generateArgs.map(shellQuoted).joined(separator: " ")),
                             ("JUDGE_ARGS", item.judgeArgs.map(shellQuoted).joined(separator: " "))]
                pairs += [("IDS", item.ids ?? ""), ("LIMIT", item.limit.map(String.init) ?? "")]
                return pairs.map { "\($0.0)=\(shellQuoted($0.1))" }.joined(separator: " ") + "\n"
            }.joined()
        }
    }
}

/// A word quoted for a POSIX shell: `it's` → `'it'\''s'`; plain words stay as they are.
public func shellQuoted(_ word: String) -> String {
    let plain = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,/:=@+%")
    if !word.isEmpty && word.unicodeScalars.allSatisfy(plain.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
