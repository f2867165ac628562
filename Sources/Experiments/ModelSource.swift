import Foundation
import Engine
import NN
import Training
import Growth
import Zoo

/// Where a model comes from on the command line: one of our checkpoints, a zoo network with packaged
/// weights (`efficientnet-lite0`), or a plain state dict (safetensors, or a PyTorch `.pth`/`.pt` read by the
/// restricted reader) of a zoo architecture given with `architecture`.
public enum ModelSource {
    /// The model as a checkpoint. `size` changes the input side (fully convolutional trunks accept any size;
    /// an architecture whose FC layers depend on it refuses). `dataDir` holds packaged weights and class lists.
    public static func load(_ reference: String, architecture: String? = nil, size: Int? = nil, dataDir: String) throws -> Checkpoint {
        let checkpoint: Checkpoint
        if FileManager.default.fileExists(atPath: reference) {
            checkpoint = try file(reference, architecture: architecture, side: size, dataDir: dataDir)
        } else if let arch = try? Zoo.architecture(reference) {
            guard let pretrained = arch.pretrained else {
                throw CheckpointError("no \(arch.id) weights ship in any package here; import your own state dict: "
                                      + "grow import --arch \(arch.id) STATE_DICT.safetensors --out model.safetensors")
            }
            checkpoint = try stateDict(URL(fileURLWithPath: dataDir + "/" + pretrained.path), architecture: arch, side: nil, dataDir: dataDir,
                                       provenance: pretrained.provenance)
        } else {
            throw CheckpointError("\(reference) is neither a file nor a zoo network (\(Zoo.ids.joined(separator: ", ")))")
        }
        guard let size, size != checkpoint.network.spec.inputShape[1] else { return checkpoint }
        return try resized(checkpoint, side: size)
    }

    static func file(_ path: String, architecture: String?, side: Int?, dataDir: String) throws -> Checkpoint {
        let url = URL(fileURLWithPath: path)
        if url.pathExtension == "safetensors" {
            let file: SafeTensorsFile
            do { file = try SafeTensors.read(contentsOf: url) } catch { throw CheckpointError("\(error)") }
            if Checkpoint.isCheckpoint(file) { return try Checkpoint.load(file, name: url.lastPathComponent) }
            guard let architecture else {
                throw CheckpointError("\(url.lastPathComponent) is a plain state dict, not a GrowingBrain checkpoint; say which network it is for with --arch (\(Zoo.ids.joined(separator: ", ")))")
            }
            return try stateDict(file.tensors, architecture: try Zoo.architecture(architecture), side: side, origin: url.lastPathComponent,
                                 dataDir: dataDir, provenance: "imported from \(url.lastPathComponent)")
        }
        guard let architecture else {
            throw CheckpointError("\(url.lastPathComponent): say which network this PyTorch state dict is for with --arch (\(Zoo.ids.joined(separator: ", ")))")
        }
        return try stateDict(url, architecture: try Zoo.architecture(architecture), side: side, dataDir: dataDir,
                             provenance: "imported from \(url.lastPathComponent)")
    }

    static func stateDict(_ url: URL, architecture: ArchitectureDescriptor, side: Int?, dataDir: String, provenance: String) throws -> Checkpoint {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CheckpointError("\(url.path) is missing; run scripts/fetch_data.sh (or `grow data fetch`), or set GROW_DATA_DIR")
        }
        let tensors: [String: Tensor]
        if url.pathExtension == "safetensors" {
            do { tensors = try SafeTensors.read(contentsOf: url).tensors } catch { throw CheckpointError("\(error)") }
        } else {
            do { tensors = try TorchStateDict.read(contentsOf: url) } catch { throw CheckpointError("\(error)") }
        }
        return try stateDict(tensors, architecture: architecture, side: side, origin: url.lastPathComponent, dataDir: dataDir, provenance: provenance)
    }

    /// A base network of `architecture` holding `tensors` (names mapped by the architecture; the class count read
    /// from the classifier's weight) at input side `side` (default: the architecture's), loaded strictly: every
    /// missing, unexpected and mis-shaped tensor is named.
    public static func stateDict(_ tensors: [String: Tensor], architecture: ArchitectureDescriptor, side: Int?, origin: String, dataDir: String,
                                 provenance: String) throws -> Checkpoint {
        var weights: [String: Tensor] = [:]
        for (name, t) in tensors { if let n = architecture.legacyNames(name) { weights[n] = t } }
        let classifierWeight = architecture.roles.classifier + ".weight"
        guard let w = weights[classifierWeight], w.shape.count == 2 else {
            throw CheckpointError("\(origin) has no classifier weight '\(classifierWeight)' of shape [classes, features]: it is not a \(architecture.id) state dict")
        }
        let c = architecture.defaultInputShape[0], s = side ?? architecture.defaultInputShape[1]
        let spec = NetworkSpec(architecture: architecture.id, inputShape: [c, s, s], baseClasses: w.shape[0])
        let network = try GrownNetwork(architecture, spec: spec, initialize: false)
        do { try network.model.load(weights, origin: origin) } catch {
            throw CheckpointError("\(error)" + (side == nil ? " (if its layers are sized by the input, give the input side with --size)" : ""))
        }
        let names = w.shape[0] == ImageNetClasses.count ? try? ImageNetClasses.load(dataDir: dataDir) : nil
        let record = TrainingRecord(command: "import", dataset: provenance, epochs: 0, steps: 0, batchSize: 0, learningRate: 0, seed: 0,
                                    testAccuracy: nil, seconds: 0)
        return Checkpoint(network: network, history: [record], classNames: names)
    }

    /// The same network at input side `side`: rebuilt and reloaded, which fails for FC layers sized by the input.
    static func resized(_ c: Checkpoint, side: Int) throws -> Checkpoint {
        var spec = c.network.spec
        spec.inputShape = [spec.inputShape[0], side, side]
        let network: GrownNetwork
        do {
            network = try Zoo.network(spec)
            try network.model.load(c.network.model.stateDictByName())
        } catch {
            throw CheckpointError("\(spec.architecture) cannot run at \(side)×\(side) with these weights (\(error)); use its own size \(c.network.spec.inputShape[1])")
        }
        return Checkpoint(network: network, history: c.history, optimizer: c.optimizer, newParameters: c.newParameters, classNames: c.classNames)
    }
}
