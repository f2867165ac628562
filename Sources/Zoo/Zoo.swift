import NN
import Growth

/// The model zoo: every architecture GrowingBrain can build, grow and load weights into.
public enum Zoo {
    /// Every architecture, by id.
    public static let architectures: [ArchitectureDescriptor] = [MiniAlexNet.descriptor]

    public static var ids: [String] { architectures.map(\.id) }

    /// The architecture with this id, or an error listing the known ones.
    public static func architecture(_ id: String) throws -> ArchitectureDescriptor {
        guard let a = architectures.first(where: { $0.id == id }) else {
            throw ZooError("unknown architecture '\(id)'; the zoo has: \(ids.joined(separator: ", "))")
        }
        return a
    }

    /// Rebuilds a network from its spec (architecture from the zoo, growth log replayed).
    public static func network(_ spec: NetworkSpec, seed: UInt64 = 0) throws -> GrownNetwork {
        try GrownNetwork(architecture(spec.architecture), spec: spec, seed: seed)
    }
}
