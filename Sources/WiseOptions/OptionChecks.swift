import ArgumentParser
import WiseCore

/// Refuses a numeric option that is not a finite number within what the option can mean (NaN,
/// infinity, negative, or so large or small it would switch a limit off or overflow a timer).
public func checkRange(_ name: String, _ value: Double, _ range: ClosedRange<Double>) throws {
    guard value.isFinite, range.contains(value) else {
        throw ValidationError("\(name) must be a number from \(number(range.lowerBound)) to \(number(range.upperBound)), not \(value)")
    }
}

/// Refuses an integer option outside its range, naming it.
public func checkRange(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
    guard range.contains(value) else { throw ValidationError("\(name) must be \(range.lowerBound)…\(range.upperBound)") }
}

private func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

extension PromptSet: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension ScoringProtocol: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
