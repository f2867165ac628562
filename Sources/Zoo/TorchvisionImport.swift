import Foundation
import Engine
import NN
import Growth

/// torchvision state dicts (`model.state_dict()` saved with `safetensors.torch.save_file`) loaded into
/// the models built by `AlexNet`, `VGG` and `ResNet`, whose names and shapes equal torchvision's.
///
/// The only entries ignored are BatchNorm's `num_batches_tracked` counters (int64 in the file, unused
/// here since BatchNorm's momentum is fixed). Everything else goes through the strict `Layer.load`:
/// every missing, unexpected and mis-shaped tensor is reported and nothing is copied.
public enum TorchvisionStateDict {
    /// Reads `file` (safetensors) and copies its tensors into `model`.
    public static func load(_ file: URL, into model: Sequential) throws {
        let contents = try SafeTensors.read(contentsOf: file)
        try load(contents.tensors, into: model, origin: file.path)
    }

    /// Copies `tensors` (torchvision names) into `model`; `origin` names the source in errors.
    public static func load(_ tensors: [String: Tensor], into model: Sequential, origin: String = "torchvision state dict") throws {
        try model.load(tensors.filter { !isIgnored($0.key) }, strict: true, origin: origin)
    }

    /// Whether a torchvision entry has no counterpart here by design (`…num_batches_tracked`).
    public static func isIgnored(_ name: String) -> Bool {
        name == "num_batches_tracked" || name.hasSuffix(".num_batches_tracked")
    }

    /// The model's parameters and buffers in PyTorch's `state_dict()` order: depth first, each layer's
    /// own parameters then its own buffers before its children's (`Layer.stateDict()` instead lists all
    /// parameters, then all buffers). Use it to write files that list like torchvision's.
    public static func entries(of model: Layer, prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out = model.localParameters.map { (prefix + $0.0, $0.1.value) } + model.localBuffers.map { (prefix + $0.0, $0.1) }
        for (name, child) in model.children { out += entries(of: child, prefix: prefix + name + ".") }
        return out
    }
}

extension ArchitectureDescriptor {
    /// A torchvision-layout ImageNet network: RGB at 224 by default, torchvision's preprocessing, external names as
    /// torchvision's (their `num_batches_tracked` counters ignored), weights brought by the user (`grow import`).
    static func torchvision(id: String, title: String, roles: LayerRoles, minimumInputSide: Int, depthGroups: String,
                            build: @escaping @Sendable (_ classes: Int, _ seed: UInt64, _ initialize: Bool) -> Sequential) -> ArchitectureDescriptor {
        ArchitectureDescriptor(id: id, title: title + " (torchvision layout; import your own ImageNet weights)", roles: roles,
                               defaultInputShape: [3, 224, 224], minimumInputSide: minimumInputSide, input: .imagenet,
                               depthGroups: depthGroups, legacyNames: { TorchvisionStateDict.isIgnored($0) ? nil : $0 },
                               build: { _, classes, seed, initialize in build(classes, seed, initialize) })
    }
}
