namespace Sp.Attestation;
