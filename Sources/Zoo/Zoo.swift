import NN
import Growth
import Datasets

/// The model zoo: every architecture GrowingBrain can build, grow and load weights into.
public enum Zoo {
    /// Every architecture, by id.
    public static let architectures: [ArchitectureDescriptor] = [
        MiniAlexNet.descriptor, EfficientNetLite.descriptor, AlexNet.descriptor, VGG.descriptor, ResNet.descriptor(.resnet18), ResNet.descriptor(.resnet50),
    ]

    public static var ids: [String] { architectures.map(\.id) }

    /// The architecture with this id, or an error listing the known ones.
    public static func architecture(_ id: String) throws -> ArchitectureDescriptor {
        guard let a = architectures.first(where: { $0.id == id }) else {
            throw ZooError("unknown architecture '\(id)'; the zoo has: \(ids.joined(separator: ", "))")
        }
        return a
    }

    /// Rebuilds a network from its spec (architecture from the zoo, growth log replayed), for weights to be loaded into.
    public static func network(_ spec: NetworkSpec) throws -> GrownNetwork {
        try GrownNetwork(architecture(spec.architecture), spec: spec, initialize: false)
    }
}

extension GrownNetwork {
    /// The zoo's description of this network's base architecture.
    public var descriptor: ArchitectureDescriptor {
        (architecture as? ArchitectureDescriptor) ?? (try? Zoo.architecture(spec.architecture)) ?? MiniAlexNet.descriptor
    }

    /// How images become this network's input: its architecture's preprocessing at its input size.
    /// `augment` adds the training augmentation (random crop — shifts of `padding` pixels for small
    /// images — and mirroring where the architecture allows it); `imageSize` is the images' own side
    /// when they all share one (no resize is needed when it equals the input side).
    public func preprocessing(augment: Bool = false, imageSize: Int? = nil) -> Preprocessing {
        var p = descriptor.preprocessing(side: spec.inputShape[1], padding: augment && descriptor.input.resizeRatio == nil ? 2 : 0,
                                         imageSize: imageSize)
        if !augment { p.flip = false }
        return p
    }
}
