import ArgumentParser
import Foundation
import Growth
import Zoo

/// `grow zoo`: the architectures GrowingBrain builds, with the paper's roles and where weights come from.
struct ZooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo", abstract: "List the architectures: input, the layers playing FC6/FC7/classifier, depth groups, weights.")

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        for a in Zoo.architectures {
            say("\(a.id) — \(a.title)")
            say("  input \(a.defaultInputShape.map(String.init).joined(separator: "×")) (any side ≥ \(a.minimumInputSide))"
                + "; classifier \(a.roles.classifier); FC7 (top) \(a.roles.top); FC6 \(a.roles.belowTop)")
            say("  depths: \(a.depthGroups)")
            if let p = a.pretrained {
                let present = FileManager.default.fileExists(atPath: runtime.resolvedDataDir + "/" + p.path)
                say("  weights: \(p.provenance) — \(present ? "present" : "missing: run grow data fetch") (use --from \(a.id))")
            } else {
                say("  weights: none packaged; train with `grow pretrain --model \(a.id)`, or bring a state dict: grow import --arch \(a.id) FILE --out CHECKPOINT")
            }
        }
    }
}
