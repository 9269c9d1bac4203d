import Foundation

/// One judgment of a run's first sample, as the studies read it: every repeat of every judge.
public struct StudyJudgment: Sendable, Equatable {
    public init(promptID: Int, repeatIndex: Int, status: JudgmentStatus, scores: AspectScores?, wiscore: Double?, rawReply: String?, error: String?) {
        self.promptID = promptID; self.repeatIndex = repeatIndex; self.status = status; self.scores = scores
        self.wiscore = wiscore; self.rawReply = rawReply; self.error = error
    }
    public var promptID: Int
    public var repeatIndex: Int
    public var status: JudgmentStatus
    /// The aspect scores when `status` is ok.
    public var scores: AspectScores?
    /// The WiScore when `status` is ok.
    public var wiscore: Double?
    public var rawReply: String?
    public var error: String?
}

/// One registered image of a run (sample 0), for galleries.
public struct StudyImage: Sendable, Equatable {
    public init(promptID: Int, status: ImageStatus, path: String?, format: String?, sha256: String? = nil) {
        self.promptID = promptID; self.status = status; self.path = path; self.format = format; self.sha256 = sha256
    }
    public var promptID: Int
    public var status: ImageStatus
    /// Where the image file was when it was registered; nil for missing and imported items.
    public var path: String?
    public var format: String?
    /// The SHA-256 the image had when it was registered (what was judged).
    public var sha256: String?
}
