import ArgumentParser
import Engine
import Growth
import Training

extension GrowthMethod: ExpressibleByArgument {}
extension FineTuneDepth: ExpressibleByArgument {}
extension NewUnitInit: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}

@main
struct Grow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grow",
        abstract: "GrowingBrain: transfer learning by growing convolutional networks.",
        subcommands: [Demo.self, Pretrain.self, Finetune.self, Compare.self, ReportCommand.self, Eval.self, Predict.self, Import.self, Inspect.self,
                      ZooCommand.self, DataCommand.self, Bench.self])
}
