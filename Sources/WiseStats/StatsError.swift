/// Why a statistic could not be computed from the data it was given: the one error type of
/// WiseStats, thrown for malformed input (wrong shapes, non-finite values, empty strata).
///
/// Data that are well formed but leave a statistic undefined (constant ratings for κ, α or ICC)
/// are not errors: those functions return `nil`, as the README of this module lists.
public struct StatsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What was wrong, naming the argument, e.g. `board: stratum "TIME" has no items`.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
