import GRDB
import WiseCore

/// Statuses are stored as their raw text and read back as types, never compared as loose strings.
extension JudgmentStatus: DatabaseValueConvertible {}
extension ImageStatus: DatabaseValueConvertible {}
