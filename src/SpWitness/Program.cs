using Sp.Cmdline;
using Sp.Witness;

// sp-witness: a C2SP tlog-witness (docs/formats-tlog.md "Witnesses").
//   sp-witness init DIR --name NAME [--log KEY|FILE]...   create a witness folder (cosigner key, witness.json)
//   sp-witness run DIR [--urls URL] [--log-level LEVEL]   serve POST /add-checkpoint (default http://127.0.0.1:8090)
try
{
    return await CliRunner.InvokeAsync(WitnessCommandLine.Tree(TimeProvider.System), args);
}
catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException)
{
    Console.Error.WriteLine($"sp-witness: {e.Message}");
    return 1;
}
