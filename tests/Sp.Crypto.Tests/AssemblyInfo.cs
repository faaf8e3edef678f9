namespace Sp.Crypto.Tests;
