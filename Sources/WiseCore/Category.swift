/// One of the six scored WISE categories; which one a prompt belongs to is decided by its id range.
public enum Category: String, CaseIterable, Codable, Sendable, Comparable {
    case culture = "CULTURE"
    case time = "TIME"
    case space = "SPACE"
    case biology = "BIOLOGY"
    case physics = "PHYSICS"
    case chemistry = "CHEMISTRY"

    /// The display name used in reports ("Culture", "Time", …).
    public var title: String { rawValue.prefix(1) + rawValue.dropFirst().lowercased() }

    public static func < (lhs: Category, rhs: Category) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
