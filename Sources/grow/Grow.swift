import ArgumentParser
import Engine
import Growth
import Training
import Distributed

extension GrowthMethod: ExpressibleByArgument {}
extension FineTuneDepth: ExpressibleByArgument {}
extension NewUnitInit: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}

@main
struct Grow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grow",
        abstract: "GrowingBrain: transfer learning by growing convolutional networks.",
        subcommands: [Demo.self, Pretrain.self, Finetune.self, Compare.self, ReportCommand.self, Explain.self, Eval.self, Predict.self, Import.self, Inspect.self,
                      ZooCommand.self, DataCommand.self, Bench.self])

    /// ArgumentParser's main, except that a process of an MPI job that fails ends the whole job (MPI_Abort), so the
    /// other ranks never wait forever in a collective for it.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if let world = MPICommunicator.world, exitCode(for: error) != .success {
                world.abort(fullMessage(for: error), code: exitCode(for: error).rawValue)
            }
            exit(withError: error)
        }
    }
}
