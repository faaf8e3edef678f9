using Sp.Node;

// sp-node: the network's back end (ledger, marketplace state, certification system, embedded storage).
//   sp-node init DIR [--network NAME]     create a node's data folder (Root CA, sim platform key, policy, ledger)
//   sp-node run DIR [--urls URL]          serve it (default http://127.0.0.1:8080)
try
{
    return args switch
    {
        ["init", var dir, .. var rest] => NodeInit.Run(dir, Opt(rest, "--network") ?? "devnet"),
        ["run", var dir, .. var rest] => await NodeHost.RunAsync(dir, Opt(rest, "--urls") ?? "http://127.0.0.1:8080"),
        _ => Usage(),
    };
}
catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException)
{
    Console.Error.WriteLine($"sp-node: {e.Message}");
    return 1;
}

static string? Opt(string[] rest, string name)
{
    var i = Array.IndexOf(rest, name);
    return i >= 0 && i + 1 < rest.Length ? rest[i + 1] : null;
}

static int Usage()
{
    Console.Error.WriteLine("usage: sp-node init DIR [--network NAME] | sp-node run DIR [--urls URL]");
    return 2;
}
