import Engine
import NN

/// A network being grown: the model (changed in place — growth works on a copy), its current roles, and
/// the per-example input shape.
struct GrowthContext {
    let model: Sequential
    var roles: LayerRoles
    let inputShape: [Int]
    /// An independent copy of `model` as it is now (same structure, same weights): replicas of whole stages come from it.
    var copyOfCurrent: () throws -> Sequential

    /// The `Sequential` at `path` ("" = the model).
    func sequential(at path: String) throws -> Sequential {
        guard let s = model.layer(at: path) as? Sequential else {
            throw GrowthError("no stage '\(path)' in this network; its layers are: \(NetworkSurgery.layerList(model))")
        }
        return s
    }

    /// The span a step targets: a role, or a named producer with the BatchNorm and activation after it.
    func span(of target: GrowthTarget) throws -> LayerSpan {
        switch target {
        case .top: return roles.top
        case .belowTop: return roles.belowTop
        case .layer(let path):
            let parts = path.split(separator: ".").map(String.init)
            let parentPath = parts.dropLast().joined(separator: ".")
            guard let name = parts.last, let parent = model.layer(at: parentPath) as? Sequential, let i = parent.index(of: name) else {
                throw GrowthError("no layer '\(path)' in this network; its layers are: \(NetworkSurgery.layerList(model))")
            }
            var entries = [name]
            for (n, layer) in parent.layers.dropFirst(i + 1) {
                guard layer is BatchNorm || layer is ReLU else { break }
                entries.append(n)
            }
            return LayerSpan(parent: parentPath, entries)
        }
    }

    /// The span's parent and the index range of its entries, checked.
    func resolve(_ span: LayerSpan) throws -> (Sequential, Range<Int>) {
        let parent = try sequential(at: span.parent)
        let indices = try span.entries.map { name -> Int in
            guard let i = parent.index(of: name) else {
                throw GrowthError("no layer '\(LayerSpan(parent: span.parent, [name]).paths[0])' in this network; its layers are: \(NetworkSurgery.layerList(model))")
            }
            return i
        }
        guard let first = indices.first, indices == Array(first..<(first + indices.count)) else {
            throw GrowthError("layer span \(span) is empty or not consecutive")
        }
        return (parent, first..<(first + indices.count))
    }
}

/// Shapes and positions inside a network, from its flattened view (see `Sequential.flattened()`).
enum NetworkSurgery {
    /// Output shape of every leaf for one zero example (evaluation mode), by leaf path.
    static func trace(_ model: Sequential, inputShape: [Int]) -> (leaves: [(String, Layer)], outputs: [[Int]]) {
        let flat = model.flattened()
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        var h = Tensor(zeros: [1] + inputShape)
        var outputs: [[Int]] = []
        for (_, layer) in flat.layers { h = layer.forward(h); outputs.append(Array(h.shape.dropFirst())) }
        return (flat.layers, outputs)
    }

    /// Index range in the flattened view of the leaves under the entries `paths`.
    static func leafRange(_ leaves: [(String, Layer)], of paths: [String]) -> Range<Int>? {
        let under = leaves.indices.filter { i in paths.contains { leaves[i].0 == $0 || leaves[i].0.hasPrefix($0 + ".") } }
        guard let lo = under.first, let hi = under.last else { return nil }
        return lo..<(hi + 1)
    }

    /// The layers with parameters a user can address, for error messages (the first 40).
    static func layerList(_ model: Sequential) -> String {
        let names = model.flattened().layers.filter { !$0.1.namedParameters().isEmpty }.map(\.0)
        return names.prefix(40).joined(separator: ", ") + (names.count > 40 ? ", … (\(names.count) in all; `grow inspect` lists them)" : "")
    }

    /// Replaces the leaf at dotted `path` (its parent must be a `Sequential`).
    static func replaceLeaf(_ model: Sequential, at path: String, with layer: Layer) {
        let parts = path.split(separator: ".").map(String.init)
        let parent = model.layer(at: parts.dropLast().joined(separator: ".")) as! Sequential
        parent.replace(parts.last!, with: layer)
    }

    /// A fresh copy of a channel-wise layer that may follow a producer, with `channels` channels for BatchNorm
    /// (nil when the layer cannot be replicated). A new BatchNorm keeps eps but uses momentum 0.1, so its running
    /// statistics settle within a short fine-tuning (EfficientNet's own 0.01 would need thousands of steps).
    static func freshCopy(_ layer: Layer, channels: Int) -> Layer? {
        switch layer {
        case let r as ReLU: return ReLU(cap: r.cap)
        case let b as BatchNorm: return BatchNorm(channels, momentum: 0.1, eps: b.eps)
        case is GlobalAvgPool: return GlobalAvgPool()
        case let p as MaxPool2d: return MaxPool2d(kernel: p.kernel, stride: p.stride, padding: p.padding)
        case let p as AvgPool2d: return AvgPool2d(kernel: p.kernel, stride: p.stride, padding: p.padding)
        default: return nil
        }
    }

    static func isPooling(_ layer: Layer) -> Bool { layer is GlobalAvgPool || layer is MaxPool2d || layer is AvgPool2d }
}
