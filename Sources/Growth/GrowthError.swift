/// A growth request that cannot be applied to this network, with what to do instead.
public struct GrowthError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
