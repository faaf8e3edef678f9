namespace Sp.Certification.Tests;
