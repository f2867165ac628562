import XCTest
@testable import Zoo

final class ZooSmokeTests: XCTestCase {
    func testZooModuleLinks() { XCTAssertNotNil(Zoo.self) }
}
