using System.Globalization;
using Sp.Attestation.Vendor;
using Sp.Cli;
using Sp.Client.Config;
using Sp.Core;

namespace Spctl.Commands;

/// <summary>
/// `spctl quotes validate FILE [--type tdx|sev-snp|sim] [--vcek FILE] [--at TIME] [--collateral DIR]`: verifies one
/// piece of evidence offline with the vendor roots built into the program. Needs no config.json and no network.
/// </summary>
public static class QuoteCommands
{
    public const string Success = "Quote validation successful!";

    public static int Validate(CommandLine cl)
    {
        var path = cl.Positional(0, "evidence file");
        var type = cl.Option("type");
        var vcek = cl.Option("vcek");
        var atText = cl.Option("at");
        var collateral = cl.Option("collateral");
        cl.RejectUnknown();
        if (type is not (null or "tdx" or "sev-snp" or "sim")) throw new UserError($"--type '{type}': expected tdx, sev-snp or sim");
        if (!File.Exists(path)) throw new UserError($"{path}: no such evidence file");
        if (vcek is not null && !File.Exists(vcek)) throw new UserError($"--vcek {vcek}: no such file");
        if (collateral is not null && !Directory.Exists(collateral)) throw new UserError($"--collateral {collateral}: no such directory");
        var at = App.Time.GetUtcNow();
        if (atText is not null && !DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at))
            throw new UserError($"--at '{atText}': expected an ISO-8601 UTC time such as 2025-06-01T00:00:00Z");
        var result = QuoteValidation.Validate(File.ReadAllBytes(path), type, vcek is null ? null : File.ReadAllBytes(vcek), at, collateral);
        foreach (var (k, v) in result.Lines)
            if (k is not ("error" or "reason")) Console.WriteLine($"{k}: {(string.IsNullOrEmpty(v) ? Output.Empty : v)}");
        if (!result.Success)
        {
            Console.Error.WriteLine($"error: quote validation failed ({result.ErrorReason}): {result.ErrorMessage}");
            return 1;
        }
        if (result.Evidence is { Simulated: true })
            Console.WriteLine("WARNING: 'sim' evidence is simulated: no hardware isolation stands behind it.");
        else if (!result.Lines.Any(l => l.Key == "tcb_status"))
            Console.WriteLine("tcb_status: not evaluated (pass --collateral DIR)");
        Console.WriteLine(Success);
        return 0;
    }
}
