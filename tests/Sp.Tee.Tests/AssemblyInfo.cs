namespace Sp.Tee.Tests;
