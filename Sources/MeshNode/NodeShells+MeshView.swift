import Foundation
import Transport

extension NodeShells {
    /// Answers a researcher's status request with the ``MeshView``: the members this node
    /// knows and the verified catalogues it holds, signed by their nodes.
    func answerMeshView(_ message: InboundMessage) async {
        var response = Envelope()
        response.kind = .status
        do {
            let view = MeshView(nodeID: localNode, members: await membership.members, catalogues: await catalogues.catalogues)
            response.body = try view.encoded()
        } catch {
            response.status = .internal
            response.statusMessage = "cannot encode the mesh view: \(error)"
        }
        try? await link.reply(to: message, with: response)
    }
}
