package storefront

import (
	"html/template"
)

// texts are the shop's strings in one language.
type texts struct {
	Lang, OtherLang, OtherLangName       string
	Shop, Tagline                        string
	ProductTitle, ProductAuthor, Blurb   string
	PayLink, PayLinkHint                 string
	PayEmbedded, PayEmbeddedHint         string
	EmbeddedTitle, ResultLabel, Waiting  string
	ErrorTitle, Back                     string
	ThanksTitle, ThanksOrder, ThanksStat string
	ThanksRef, ThanksSource              string
	SourceAPI, SourceWebhook             string
	ThanksNotFound, ThanksUnknown        string
	WebhooksLink, WebhooksTitle          string
	WebhooksIntro, WebhooksNone          string
	WebhooksOff, ColReceived, ColType    string
	ColOrder, ColStatus, ColID, ColRep   string
	DemoNote                             string
}

func text(lang string) texts {
	if lang == "en" {
		return texts{
			Lang: "en", OtherLang: "tr", OtherLangName: "Türkçe",
			Shop: "Demo Kitap Evi", Tagline: "A small bookshop that takes cards through Moka Checkout",
			ProductTitle: "İnce Memed (hardcover)", ProductAuthor: "Yaşar Kemal",
			Blurb:   "The classic novel of the Taurus mountains, in a sturdy hardcover edition.",
			PayLink: "Pay", PayLinkHint: "A signed link takes you to the checkout page.",
			PayEmbedded: "Pay in this page", PayEmbeddedHint: "The checkout opens inside the shop in a frame.",
			EmbeddedTitle: "Payment", ResultLabel: "Result", Waiting: "waiting",
			ErrorTitle: "Checkout could not create the order", Back: "Back to the shop",
			ThanksTitle: "Thank you", ThanksOrder: "Order", ThanksStat: "Status",
			ThanksRef: "Reference", ThanksSource: "Checked with",
			SourceAPI: "checkout's API", SourceWebhook: "checkout's webhook (the API did not answer)",
			ThanksNotFound: "No such order: this shop has no order with this id.",
			ThanksUnknown:  "The order's status could not be checked just now; nothing is confirmed. Try again in a moment.",
			WebhooksLink:   "Webhooks", WebhooksTitle: "Webhooks received",
			WebhooksIntro: "Every event checkout sends to this shop, newest first, once per webhook-id. Only deliveries whose signature and timestamp verify are kept.",
			WebhooksNone:  "No webhook received yet.", WebhooksOff: "This shop has no webhook secret: it receives no webhooks.",
			ColReceived: "Received", ColType: "Event", ColOrder: "Order", ColStatus: "Order status", ColID: "webhook-id", ColRep: "Repeats",
			DemoNote: "Demo shop. Pay with a sandbox test card; 3-D Secure code 123456.",
		}
	}
	return texts{
		Lang: "tr", OtherLang: "en", OtherLangName: "English",
		Shop: "Demo Kitap Evi", Tagline: "Moka Checkout ile kart kabul eden küçük bir kitapçı",
		ProductTitle: "İnce Memed (ciltli)", ProductAuthor: "Yaşar Kemal",
		Blurb:   "Toros dağlarının klasik romanı, sağlam ciltli baskı.",
		PayLink: "Öde", PayLinkHint: "İmzalı bir bağlantı sizi ödeme sayfasına götürür.",
		PayEmbedded: "Bu sayfada öde", PayEmbeddedHint: "Ödeme sayfası mağazanın içinde, bir çerçevede açılır.",
		EmbeddedTitle: "Ödeme", ResultLabel: "Sonuç", Waiting: "bekleniyor",
		ErrorTitle: "Ödeme sistemi siparişi oluşturamadı", Back: "Mağazaya dön",
		ThanksTitle: "Teşekkürler", ThanksOrder: "Sipariş", ThanksStat: "Durum",
		ThanksRef: "Referans", ThanksSource: "Kaynak",
		SourceAPI: "ödeme sisteminin API'si", SourceWebhook: "ödeme sisteminin webhook'u (API yanıt vermedi)",
		ThanksNotFound: "Böyle bir sipariş yok: bu mağazanın bu numarada siparişi bulunmuyor.",
		ThanksUnknown:  "Siparişin durumu şu an doğrulanamadı; hiçbir şey onaylanmış değil. Biraz sonra yeniden deneyin.",
		WebhooksLink:   "Webhook'lar", WebhooksTitle: "Gelen webhook'lar",
		WebhooksIntro: "Ödeme sisteminin bu mağazaya gönderdiği her olay, en yenisi üstte, her webhook-id bir kez. Yalnızca imzası ve zaman damgası doğrulanan gönderimler tutulur.",
		WebhooksNone:  "Henüz webhook gelmedi.", WebhooksOff: "Bu mağazanın webhook anahtarı yok: webhook almıyor.",
		ColReceived: "Geliş", ColType: "Olay", ColOrder: "Sipariş", ColStatus: "Sipariş durumu", ColID: "webhook-id", ColRep: "Tekrar",
		DemoNote: "Demo mağaza. Sandbox test kartıyla ödeyin; 3-D Secure kodu 123456.",
	}
}

// base is what every shop page needs.
type base struct {
	T     texts
	Price string
}

func newBase(lang string) base { return base{T: text(lang), Price: productPrice} }

type homeData struct {
	base
	PayLink string
}

type embeddedData struct {
	base
	EmbedJS     string
	OrderID     string
	CheckoutURL string
	Error       string
}

type thanksData struct {
	base
	Order, Reference, Status string
	Source                   string // "api" or "webhook": where Status comes from
	NotFound                 bool
	Unknown                  string // why the status could not be checked
}

var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="{{.T.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.Shop}}</title>
<style>
  *,*::before,*::after{box-sizing:border-box}
  body{margin:0;font:16px/1.5 Georgia,"Times New Roman",serif;color:#2b2118;background:#f7f1e8}
  header.top{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding:1rem 1.25rem;border-bottom:1px solid #e3d6c2;background:#fffaf2}
  header.top a{color:inherit;text-decoration:none}
  .logo{font-weight:700;font-size:1.25rem}
  .lang{font:14px system-ui,sans-serif}
  main{max-width:56rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
  .tagline{color:#7a6650;margin:.25rem 0 1.5rem;font-style:italic}
  .product{display:grid;gap:1.5rem;grid-template-columns:1fr}
  @media (min-width:40rem){.product{grid-template-columns:12rem 1fr}}
  .cover{aspect-ratio:2/3;max-width:12rem;border-radius:4px 10px 10px 4px;background:linear-gradient(135deg,#8c2f1b,#4a1a10);color:#f7e3c4;padding:1.25rem 1rem;display:flex;flex-direction:column;justify-content:space-between;box-shadow:inset 6px 0 0 rgba(0,0,0,.25),0 10px 24px rgba(60,30,10,.25)}
  .cover b{font-size:1.35rem;line-height:1.2}
  h1{margin:0;font-size:1.75rem}
  .author{margin:.25rem 0 .75rem;color:#7a6650}
  .price{font:700 1.5rem system-ui,sans-serif;margin:.75rem 0}
  .ways{display:grid;gap:.75rem;max-width:24rem}
  .btn{display:block;text-align:center;padding:.85rem 1rem;border-radius:10px;font:600 1.05rem system-ui,sans-serif;text-decoration:none;background:#1f5eff;color:#fff}
  .btn.alt{background:#fff;color:#1f5eff;border:1px solid #1f5eff}
  .hint{margin:.15rem 0 0;font:13px system-ui,sans-serif;color:#7a6650}
  .note{margin-top:2rem;font:14px system-ui,sans-serif;color:#7a6650}
  #checkout-frame{max-width:30rem;margin:1rem 0;background:#fff;border-radius:12px;padding:.5rem;box-shadow:0 4px 16px rgba(60,30,10,.12)}
  .result{font:16px system-ui,sans-serif}
  .error{padding:1rem;border-radius:10px;background:#fdecea;color:#8a1c13;font:15px system-ui,sans-serif}
  dl{font:16px system-ui,sans-serif;display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}
  dt{color:#7a6650}
  dd{margin:0;font-weight:600}
  table{border-collapse:collapse;font:14px system-ui,sans-serif;width:100%}
  th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3d6c2;vertical-align:top}
  code{font-size:12px}
</style>
</head>
<body>
<header class="top"><a class="logo" href="/?lang={{.T.Lang}}">📚 {{.T.Shop}}</a><nav class="lang"><a id="webhooks-link" href="/webhooks?lang={{.T.Lang}}">{{.T.WebhooksLink}}</a> · <a href="?lang={{.T.OtherLang}}">{{.T.OtherLangName}}</a></nav></header>
<main>
{{end}}

{{define "foot"}}
<p class="note">{{.T.DemoNote}}</p>
</main>
</body>
</html>
{{end}}

{{define "home"}}{{template "head" .}}
<p class="tagline">{{.T.Tagline}}</p>
<section class="product">
  <div class="cover" aria-hidden="true"><b>{{.T.ProductTitle}}</b><span>{{.T.ProductAuthor}}</span></div>
  <div>
    <h1 id="product-title">{{.T.ProductTitle}}</h1>
    <p class="author">{{.T.ProductAuthor}}</p>
    <p>{{.T.Blurb}}</p>
    <p class="price" id="price">{{.Price}}</p>
    <div class="ways">
      <div><a class="btn" id="pay-link" href="{{.PayLink}}">{{.T.PayLink}}</a><p class="hint">{{.T.PayLinkHint}}</p></div>
      <div><a class="btn alt" id="pay-embedded" href="/embedded?lang={{.T.Lang}}">{{.T.PayEmbedded}}</a><p class="hint">{{.T.PayEmbeddedHint}}</p></div>
    </div>
  </div>
</section>
{{template "foot" .}}{{end}}

{{define "embedded"}}{{template "head" .}}
<h1>{{.T.EmbeddedTitle}}: {{.T.ProductTitle}}</h1>
<p class="price">{{.Price}}</p>
{{if .Error}}
<div class="error" id="storefront-error" role="alert"><strong>{{.T.ErrorTitle}}</strong><br>{{.Error}}</div>
<p><a href="/?lang={{.T.Lang}}">{{.T.Back}}</a></p>
{{else}}
<p class="result">{{.T.ResultLabel}}: <strong id="storefront-result" data-status="">{{.T.Waiting}}</strong></p>
<div id="checkout-frame" data-order="{{.OrderID}}" data-checkout-url="{{.CheckoutURL}}"></div>
<script src="{{.EmbedJS}}"></script>
<script>
  (function () {
    var frame = document.getElementById("checkout-frame");
    var out = document.getElementById("storefront-result");
    MokaCheckout.mount(frame, {
      url: frame.dataset.checkoutUrl,
      onResult: function (r) {
        out.setAttribute("data-status", r.status);
        out.setAttribute("data-order", r.order);
        out.textContent = r.status;
      }
    });
  })();
</script>
{{end}}
{{template "foot" .}}{{end}}

{{define "thanks"}}{{template "head" .}}
<h1 id="thanks-heading">{{.T.ThanksTitle}}</h1>
{{if .NotFound}}
<p class="error" id="thanks-not-found" role="alert">{{.T.ThanksNotFound}}</p>
{{else if .Unknown}}
<p class="error" id="thanks-unknown" role="alert">{{.T.ThanksUnknown}}</p>
{{end}}
<dl>
  <dt>{{.T.ThanksOrder}}</dt><dd id="thanks-order">{{.Order}}</dd>
  {{if .Reference}}<dt>{{.T.ThanksRef}}</dt><dd id="thanks-reference">{{.Reference}}</dd>{{end}}
  {{if .Status}}<dt>{{.T.ThanksStat}}</dt><dd id="thanks-status" data-status="{{.Status}}" data-source="{{.Source}}">{{.Status}}</dd>
  <dt>{{.T.ThanksSource}}</dt><dd id="thanks-source">{{if eq .Source "api"}}{{.T.SourceAPI}}{{else}}{{.T.SourceWebhook}}{{end}}</dd>{{end}}
</dl>
<p><a href="/?lang={{.T.Lang}}">{{.T.Back}}</a></p>
{{template "foot" .}}{{end}}

{{define "webhooks"}}{{template "head" .}}
<h1 id="webhooks-heading">{{.T.WebhooksTitle}}</h1>
<p>{{.T.WebhooksIntro}}</p>
{{if not .Configured}}
<p class="error" id="webhooks-off">{{.T.WebhooksOff}}{{with .SecretErr}} ({{.}}){{end}}</p>
{{else if not .Events}}
<p id="webhooks-none">{{.T.WebhooksNone}}</p>
{{else}}
<table id="webhooks">
<thead><tr><th>{{.T.ColReceived}}</th><th>{{.T.ColType}}</th><th>{{.T.ColOrder}}</th><th>{{.T.ColStatus}}</th><th>{{.T.ColID}}</th><th>{{.T.ColRep}}</th></tr></thead>
<tbody>
{{range .Events}}<tr class="webhook" data-id="{{.ID}}" data-type="{{.Type}}" data-order="{{.OrderID}}" data-status="{{.OrderStatus}}">
<td>{{.ReceivedAt.UTC.Format "2006-01-02 15:04:05"}} UTC</td><td>{{.Type}}</td><td>{{.OrderID}}{{with .Reference}}<br><small>{{.}}</small>{{end}}</td><td>{{.OrderStatus}}</td><td><code>{{.ID}}</code></td><td>{{.Repeats}}</td>
</tr>
{{end}}</tbody>
</table>
{{end}}
{{template "foot" .}}{{end}}
`))
