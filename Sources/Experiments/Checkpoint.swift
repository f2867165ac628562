import Foundation
import Engine
import NN
import Training
import Growth
import Zoo

/// Where a model came from: the training that produced its current weights.
public struct TrainingRecord: Codable, Sendable {
    public var command: String
    public var dataset: String
    public var method: String?
    public var depth: String?
    public var shots: Int?
    /// Passes over the training set (0: an iteration budget; `steps` says how many).
    public var epochs: Int
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    public var seed: UInt64
    public var testAccuracy: Double?
    public var seconds: Double
    public var threads: Int
    public var date: String
    public var version: String

    public init(command: String, dataset: String, method: String? = nil, depth: String? = nil, shots: Int? = nil, epochs: Int, steps: Int,
                batchSize: Int, learningRate: Double, seed: UInt64, testAccuracy: Double?, seconds: Double) {
        self.command = command; self.dataset = dataset; self.method = method; self.depth = depth; self.shots = shots
        self.epochs = epochs; self.steps = steps; self.batchSize = batchSize; self.learningRate = learningRate; self.seed = seed
        self.testAccuracy = testAccuracy; self.seconds = seconds; self.threads = Threads.count
        self.date = ISO8601DateFormatter().string(from: Date()); self.version = GrowingBrainVersion.current
    }
}

public enum GrowingBrainVersion { public static let current = "0.1.0" }

/// A self-describing model file: safetensors whose metadata holds a magic format name, a version,
/// the architecture (zoo id) with its growth log, where each tensor came from in the base network, the
/// training history and the optimizer kind; the tensors hold the weights, buffers and optimizer state
/// (`optimizer.<slot>.<name>`: SGD's `velocity`, AdamW's `exp_avg`, `exp_avg_sq`, `step`). Loading rebuilds the grown architecture from the spec before any weight is read.
public struct Checkpoint {
    public static let format = "growingbrain.checkpoint"
    /// 2: architectures from the zoo, growth steps on roles, flat MiniAlexNet FC names. 1: MiniAlexNet only.
    public static let formatVersion = 2

    public var network: GrownNetwork
    /// Oldest first: pretraining, then each fine-tuning.
    public var history: [TrainingRecord]
    /// The optimizer's state at the end of the latest training (carried into the next growth when the kind matches).
    public var optimizer: OptimizerState?
    /// Parameters created by the latest growth (they train at 10× and count as "new" for depth).
    public var newParameters: Set<String>
    /// Names of the classifier's classes, in index order (what `grow predict` prints), when known.
    public var classNames: [String]?
    /// Set in checkpoints written during training: where the run stands, so it can continue exactly.
    public var resume: ResumeState?

    public init(network: GrownNetwork, history: [TrainingRecord], optimizer: OptimizerState? = nil, newParameters: Set<String> = [],
                classNames: [String]? = nil, resume: ResumeState? = nil) {
        self.network = network; self.history = history; self.optimizer = optimizer; self.newParameters = newParameters
        self.classNames = classNames; self.resume = resume
    }

    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ v: T) throws -> String { String(data: try encoder.encode(v), encoding: .utf8)! }
        var metadata = [
            "format": Self.format, "format_version": String(Self.formatVersion),
            "spec": try json(network.spec), "origins": try json(network.origins), "history": try json(history),
            "new_parameters": try json(newParameters.sorted()),
        ]
        if let optimizer { metadata["optimizer"] = optimizer.kind }
        if let resume { metadata["resume"] = try json(resume) }
        if let classNames {
            guard classNames.count == network.spec.classes else {
                throw CheckpointError("\(classNames.count) class names for a classifier of \(network.spec.classes) classes")
            }
            metadata["class_names"] = try json(classNames)
        }
        let tensors = network.model.stateDict() + (optimizer?.tensors() ?? [])
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    public static func load(from url: URL) throws -> Checkpoint {
        let file: SafeTensorsFile
        do { file = try SafeTensors.read(contentsOf: url) } catch { throw CheckpointError("\(error)") }
        return try load(file, name: url.lastPathComponent)
    }

    /// Whether a safetensors file is one of our checkpoints (else it may be a plain state dict to import).
    public static func isCheckpoint(_ file: SafeTensorsFile) -> Bool { file.metadata["format"] == format }

    public static func load(_ file: SafeTensorsFile, name: String) throws -> Checkpoint {
        guard isCheckpoint(file) else {
            throw CheckpointError("\(name) is a safetensors file but not a GrowingBrain checkpoint (no format \"\(format)\" in its metadata); "
                                  + "make one with `grow pretrain` or `grow finetune`, or import a state dict with `grow import --arch NAME \(name)`")
        }
        let version = file.metadata["format_version"].flatMap(Int.init)
        guard version == formatVersion || version == 1 else {
            throw CheckpointError("\(name) has checkpoint format version \(file.metadata["format_version"] ?? "?"); this grow reads versions 1 and \(formatVersion) — re-create it with this version")
        }
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let text = file.metadata[key], let data = text.data(using: .utf8) else { throw CheckpointError("\(name): metadata '\(key)' is missing") }
            do { return try decoder.decode(type, from: data) } catch { throw CheckpointError("\(name): metadata '\(key)' is unreadable: \(error)") }
        }
        let spec: NetworkSpec
        var rename: (String) -> String? = { $0 }
        if version == 1 {
            // Format 1: MiniAlexNet only, FC layers as `fcK.linear.*` blocks; base networks convert, grown ones cannot.
            let legacy = try decode(LegacySpec.self, "spec")
            guard legacy.growth.isEmpty else {
                throw CheckpointError("\(name) is a grown network from an older grow (format 1), whose growth cannot be replayed by this version; "
                                      + "grow it again with `grow finetune --from SOURCE` from its pretrained source checkpoint")
            }
            spec = NetworkSpec(architecture: legacy.architecture, inputShape: legacy.inputShape, baseClasses: legacy.baseClasses)
            rename = try Zoo.architecture(spec.architecture).legacyNames
        } else {
            spec = try decode(NetworkSpec.self, "spec")
        }
        let network: GrownNetwork
        do { network = try Zoo.network(spec) } catch { throw CheckpointError("\(name): cannot rebuild its architecture: \(error)") }
        var weights: [String: Tensor] = [:], optimizerTensors: [String: Tensor] = [:]
        let prefix = OptimizerState.defaultPrefix
        for (k, t) in file.tensors {
            if k.hasPrefix(prefix) {
                // optimizer.<slot>.<parameter>: rename the parameter part.
                let rest = k.dropFirst(prefix.count)
                guard let dot = rest.firstIndex(of: ".") else { continue }
                if let n = rename(String(rest[rest.index(after: dot)...])) { optimizerTensors[prefix + rest[..<dot] + "." + n] = t }
            } else if let n = rename(k) { weights[n] = t }
        }
        do { try network.model.load(weights, origin: name) } catch { throw CheckpointError("\(error)") }
        let newParameters = try decode([String].self, "new_parameters").compactMap(rename)
        return Checkpoint(network: network, history: try decode([TrainingRecord].self, "history"),
                          optimizer: optimizerTensors.isEmpty ? nil : try optimizerState(optimizerTensors, kind: file.metadata["optimizer"] ?? "sgd", name),
                          newParameters: Set(newParameters),
                          classNames: file.metadata["class_names"] == nil ? nil : try decode([String].self, "class_names"),
                          resume: file.metadata["resume"] == nil ? nil : try decode(ResumeState.self, "resume"))
    }

    static func optimizerState(_ tensors: [String: Tensor], kind: String, _ name: String) throws -> OptimizerState {
        do { return try OptimizerState(kind: kind, tensors: tensors) } catch { throw CheckpointError("\(name): optimizer state: \(error)") }
    }

    /// The spec of a format-1 checkpoint (its growth log is only checked for emptiness).
    struct LegacySpec: Decodable {
        var architecture: String
        var inputShape: [Int]
        var baseClasses: Int
        var growth: [[String: AnyDecodable]]
    }

    struct AnyDecodable: Decodable { init(from decoder: Decoder) throws {} }
}

public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
