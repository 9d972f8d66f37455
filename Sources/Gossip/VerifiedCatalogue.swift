import X509

/// A catalogue whose signature, chain and identity ``CatalogueVerifier`` has checked, kept
/// with the signed form (to forward to peers unchanged) and the signer's serial (to drop it
/// when the certificate is revoked).
public struct VerifiedCatalogue: Sendable, Equatable {
    public let catalogue: Catalogue
    public let signed: SignedCatalogue
    public let signerSerial: Certificate.SerialNumber

    public init(catalogue: Catalogue, signed: SignedCatalogue, signerSerial: Certificate.SerialNumber) {
        self.catalogue = catalogue
        self.signed = signed
        self.signerSerial = signerSerial
    }
}
