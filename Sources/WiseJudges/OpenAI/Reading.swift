import WiseCore

/// A way of reading judge replies: `official` as the official WISE evaluators read them
/// (``OfficialReader``), `strict` as this project's stricter ``ReplyParser`` does.
public enum Reading: String, CaseIterable, Sendable {
    case official
    case strict

    /// What this reading makes of one reply under a protocol.
    public func read(_ reply: String, scoringProtocol: ScoringProtocol) -> ReadingOutcome {
        switch self {
        case .official:
            return OfficialReader.read(reply, scoringProtocol: scoringProtocol)
        case .strict:
            switch ReplyParser.parse(reply, scoringProtocol: scoringProtocol) {
            case .scores(let scores): return .scores(scores)
            case .unreadable(let reason): return .unreadable(reason: reason)
            }
        }
    }
}
