namespace Sp.Client;
