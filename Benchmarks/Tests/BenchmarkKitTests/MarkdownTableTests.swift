import BenchmarkKit
import Testing

@Suite struct MarkdownTableTests {
    @Test func padsColumnsAndMarksAlignment() {
        var table = MarkdownTable(headers: ["Name", "N"], alignments: [.left, .right])
        table.append(["a", "1000"])
        #expect(
            table.rendered == """
                | Name |    N |
                | :--- | ---: |
                | a    | 1000 |
                """
        )
    }
}
