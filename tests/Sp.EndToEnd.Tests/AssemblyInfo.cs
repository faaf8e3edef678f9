namespace Sp.EndToEnd.Tests;
