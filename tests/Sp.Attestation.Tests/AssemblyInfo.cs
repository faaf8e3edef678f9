namespace Sp.Attestation.Tests;
