using Sp.Cli;
using Sp.Client.Config;
using Sp.Core;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Spctl.Commands;

/// <summary>`tokens request` (the devnet faucet) and `tokens balance`. Amounts are tokens, exact decimals.</summary>
public static class TokenCommands
{
    /// <summary>What `tokens request` asks for without --amount.</summary>
    public const long DefaultRequestTokens = 1_000;

    public static async Task<int> RequestAsync(CommandLine cl, string configPath)
    {
        var amountText = cl.Option("amount");
        var tee = cl.Flag("tee");
        var bnb = cl.Flag("bnb");
        cl.RejectUnknown();
        var amount = amountText is null ? TokenAmount.FromTokens(DefaultRequestTokens) : ParseAmount(amountText, "--amount");
        using var ctx = new ClientContext(configPath);
        if (!MarketState.IsDevnet(ctx.Network))
            throw new UserError($"tokens request: the faucet exists only on a devnet; this config's network is '{ctx.Network}'");
        // --bnb alone asks for gas only: this ledger has none, so nothing is requested (the original's opBNB faucet).
        if (bnb) Console.WriteLine($"This network has no gas token: no BNB tokens to request for {ctx.Account.Address}");
        if (bnb && !tee && amountText is null) return 0;
        if (tee) Console.WriteLine($"Requesting Super Protocol TEE tokens for {ctx.Account.Address}");
        await ctx.Node.SendAsync(ctx.Account, ctx.Network, new TokensRequest(amount));
        var b = await ctx.Node.GetBalanceAsync(ctx.Account.Address);
        Console.WriteLine("Tokens were requested successfully");
        Console.Write(Output.KeyValues([("address", ctx.Account.Address.ToString()), ("credited", amount.ToString()), ("balance", b.Balance.ToString())]));
        return 0;
    }

    public static async Task<int> BalanceAsync(CommandLine cl, string configPath)
    {
        var who = cl.Positionals.Count > 0 ? cl.Positionals[0] : null;
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        Address address;
        if (who is null) address = ctx.Account.Address;
        else if (!Address.TryParse(who, out address)) throw new UserError($"'{who}' is not an account address (0x followed by 40 hex digits)");
        var b = await ctx.Node.GetBalanceAsync(address);
        Console.Write(Output.KeyValues([("address", address.ToString()), ("balance", b.Balance.ToString()), ("locked", b.Locked.ToString())]));
        return 0;
    }

    /// <summary>A positive amount of tokens, or a UserError naming the option and the value.</summary>
    public static TokenAmount ParseAmount(string text, string what)
    {
        if (!TokenAmount.TryParseTokens(text, out var amount))
            throw new UserError($"{what} '{text}': expected an amount of tokens such as 10 or 0.5 (at most {TokenAmount.Decimals} decimals)");
        if (amount.IsZero) throw new UserError($"{what} '{text}': must be greater than 0");
        return amount;
    }
}
