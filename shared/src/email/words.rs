//! The words of the mail Buoy sends to requesters, in each language the
//! widget speaks. They live here, not in the widget's catalog, because
//! the catalog ships whole in every widget page and these never reach a
//! browser. Placeholders: `{site}`, `{agent}`, `{reference}`, `{due}`.

use crate::messages::Locale;

/// One language's mail.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    /// Who an agent's reply is from.
    pub agent_from: &'static str,
    /// What the requester's own earlier words are headed with.
    pub you: &'static str,
    /// Before the earlier messages of the thread.
    pub earlier: &'static str,
    /// What happens after an agent's reply.
    pub reply_next: &'static str,
    /// The subject of an agent's reply.
    pub reply_subject: &'static str,
    /// The ticket was solved.
    pub solved: &'static str,
    /// The one rating question.
    pub question: &'static str,
    /// The "satisfied" link.
    pub yes: &'static str,
    /// The "not satisfied" link.
    pub no: &'static str,
    /// What happens after the solved mail.
    pub solved_next: &'static str,
    /// The subject of the solved mail.
    pub solved_subject: &'static str,
    /// The acknowledgement of a request by mail.
    pub received: &'static str,
    /// When a first reply is due.
    pub due: &'static str,
    /// When no due time is known.
    pub due_unknown: &'static str,
    /// How to add to the request.
    pub add: &'static str,
    /// The subject of the acknowledgement.
    pub received_subject: &'static str,
    /// Why the requester got this mail.
    pub why: &'static str,
    /// The unsubscribe link.
    pub stop: &'static str,
    /// Before the links to the files attached to an agent's reply.
    pub files: &'static str,
    /// Weekday names, Monday first.
    pub weekdays: [&'static str; 7],
    /// Month names, January first.
    pub months: [&'static str; 12],
    /// A date and time: `{weekday}`, `{day}`, `{month}`, `{year}`, `{time}`, `{zone}`.
    pub date: &'static str,
}

/// `text` with each `{key}` of `values` replaced by its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (key, value) in values {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    out
}

/// The mail's words in `locale`.
pub const fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::En => &EN,
        Locale::De => &DE,
        Locale::Fr => &FR,
        Locale::Es => &ES,
        Locale::PtBr => &PT_BR,
        Locale::Ja => &JA,
        Locale::Ar => &AR,
    }
}

const EN: Words = Words {
    agent_from: "{agent} from {site}",
    you: "You",
    earlier: "Earlier in this conversation:",
    reply_next: "What happens next: reply to this email and your answer joins the conversation (reference {reference}). We will email you when {site} replies again.",
    reply_subject: "A reply from {site}",
    solved: "{site} has marked your request {reference} as solved.",
    question: "Did we solve your problem?",
    yes: "Yes, it is solved",
    no: "No, it is not solved",
    solved_next: "What happens next: nothing, unless you reply to this email; a reply reopens the request.",
    solved_subject: "Your request to {site} is solved",
    received: "{site} has your request. Your reference is {reference}.",
    due: "What happens next: expect a first reply by {due}.",
    due_unknown: "What happens next: we will reply as soon as we can.",
    add: "To add anything, reply to this email.",
    received_subject: "{site} has your request",
    why: "{site} sent you this email about your request.",
    stop: "Stop these emails",
    files: "Files attached to this reply (each link opens its file for 7 days):",
    weekdays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    months: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    date: "{weekday} {day} {month} {year}, {time} {zone}",
};

const DE: Words = Words {
    agent_from: "{agent} von {site}",
    you: "Sie",
    earlier: "Bisher in dieser Unterhaltung:",
    reply_next: "Wie es weitergeht: Antworten Sie auf diese E-Mail, und Ihre Antwort wird Teil der Unterhaltung (Anfragenummer {reference}). Wir schreiben Ihnen, sobald {site} wieder antwortet.",
    reply_subject: "Eine Antwort von {site}",
    solved: "{site} hat Ihre Anfrage {reference} als gelöst markiert.",
    question: "Konnten wir Ihr Problem lösen?",
    yes: "Ja, es ist gelöst",
    no: "Nein, es ist nicht gelöst",
    solved_next: "Wie es weitergeht: nichts, es sei denn, Sie antworten auf diese E-Mail; eine Antwort öffnet die Anfrage wieder.",
    solved_subject: "Ihre Anfrage an {site} ist gelöst",
    received: "{site} hat Ihre Anfrage erhalten. Ihre Anfragenummer ist {reference}.",
    due: "Wie es weitergeht: Sie erhalten eine erste Antwort bis {due}.",
    due_unknown: "Wie es weitergeht: Wir antworten so bald wie möglich.",
    add: "Wenn Sie etwas ergänzen möchten, antworten Sie auf diese E-Mail.",
    received_subject: "{site} hat Ihre Anfrage erhalten",
    why: "{site} hat Ihnen diese E-Mail zu Ihrer Anfrage gesendet.",
    stop: "Diese E-Mails abbestellen",
    files: "Dateien zu dieser Antwort (jeder Link öffnet seine Datei 7 Tage lang):",
    weekdays: ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    months: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
    date: "{weekday}, {day}. {month} {year}, {time} Uhr {zone}",
};

const FR: Words = Words {
    agent_from: "{agent} de {site}",
    you: "Vous",
    earlier: "Plus tôt dans cette conversation :",
    reply_next: "Et ensuite : répondez à cet e-mail et votre réponse rejoindra la conversation (référence {reference}). Nous vous écrirons quand {site} répondra de nouveau.",
    reply_subject: "Une réponse de {site}",
    solved: "{site} a marqué votre demande {reference} comme résolue.",
    question: "Avons-nous résolu votre problème ?",
    yes: "Oui, c'est résolu",
    no: "Non, ce n'est pas résolu",
    solved_next: "Et ensuite : rien, sauf si vous répondez à cet e-mail ; une réponse rouvre la demande.",
    solved_subject: "Votre demande à {site} est résolue",
    received: "{site} a bien reçu votre demande. Votre référence est {reference}.",
    due: "Et ensuite : vous recevrez une première réponse d'ici le {due}.",
    due_unknown: "Et ensuite : nous vous répondrons dès que possible.",
    add: "Pour ajouter quelque chose, répondez à cet e-mail.",
    received_subject: "{site} a bien reçu votre demande",
    why: "{site} vous a envoyé cet e-mail au sujet de votre demande.",
    stop: "Ne plus recevoir ces e-mails",
    files: "Fichiers joints à cette réponse (chaque lien ouvre son fichier pendant 7 jours) :",
    weekdays: ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
    date: "{weekday} {day} {month} {year} à {time} {zone}",
};

const ES: Words = Words {
    agent_from: "{agent} de {site}",
    you: "Usted",
    earlier: "Antes en esta conversación:",
    reply_next: "Qué pasa ahora: responda a este correo y su respuesta se sumará a la conversación (referencia {reference}). Le escribiremos cuando {site} vuelva a responder.",
    reply_subject: "Una respuesta de {site}",
    solved: "{site} ha marcado su solicitud {reference} como resuelta.",
    question: "¿Hemos resuelto su problema?",
    yes: "Sí, está resuelto",
    no: "No, no está resuelto",
    solved_next: "Qué pasa ahora: nada, salvo que responda a este correo; una respuesta reabre la solicitud.",
    solved_subject: "Su solicitud a {site} está resuelta",
    received: "{site} ha recibido su solicitud. Su referencia es {reference}.",
    due: "Qué pasa ahora: recibirá una primera respuesta antes del {due}.",
    due_unknown: "Qué pasa ahora: le responderemos lo antes posible.",
    add: "Para añadir algo, responda a este correo.",
    received_subject: "{site} ha recibido su solicitud",
    why: "{site} le ha enviado este correo sobre su solicitud.",
    stop: "Dejar de recibir estos correos",
    files: "Archivos adjuntos a esta respuesta (cada enlace abre su archivo durante 7 días):",
    weekdays: ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    months: ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
    date: "{weekday} {day} de {month} de {year}, {time} {zone}",
};

const PT_BR: Words = Words {
    agent_from: "{agent}, de {site}",
    you: "Você",
    earlier: "Antes nesta conversa:",
    reply_next: "O que acontece agora: responda a este e-mail e sua resposta entra na conversa (referência {reference}). Avisaremos você por e-mail quando {site} responder de novo.",
    reply_subject: "Uma resposta de {site}",
    solved: "{site} marcou sua solicitação {reference} como resolvida.",
    question: "Resolvemos o seu problema?",
    yes: "Sim, está resolvido",
    no: "Não, não está resolvido",
    solved_next: "O que acontece agora: nada, a menos que você responda a este e-mail; uma resposta reabre a solicitação.",
    solved_subject: "Sua solicitação para {site} foi resolvida",
    received: "{site} recebeu sua solicitação. Sua referência é {reference}.",
    due: "O que acontece agora: você receberá uma primeira resposta até {due}.",
    due_unknown: "O que acontece agora: responderemos assim que possível.",
    add: "Para acrescentar algo, responda a este e-mail.",
    received_subject: "{site} recebeu sua solicitação",
    why: "{site} enviou este e-mail sobre a sua solicitação.",
    stop: "Parar de receber estes e-mails",
    files: "Arquivos anexados a esta resposta (cada link abre o arquivo por 7 dias):",
    weekdays: ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado", "domingo"],
    months: ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"],
    date: "{weekday}, {day} de {month} de {year}, {time} {zone}",
};

const JA: Words = Words {
    agent_from: "{site}の{agent}",
    you: "あなた",
    earlier: "これまでのやり取り:",
    reply_next: "今後の流れ: このメールに返信すると、その内容がやり取りに追加されます(受付番号 {reference})。{site}から再度返信があった際は、メールでお知らせします。",
    reply_subject: "{site}からの返信",
    solved: "{site}は、お問い合わせ {reference} を解決済みにしました。",
    question: "問題は解決しましたか?",
    yes: "はい、解決しました",
    no: "いいえ、解決していません",
    solved_next: "今後の流れ: このメールに返信しない限り、対応は完了です。返信するとお問い合わせが再開されます。",
    solved_subject: "{site}へのお問い合わせは解決済みです",
    received: "{site}はお問い合わせを受け付けました。受付番号は {reference} です。",
    due: "今後の流れ: {due}までに最初の返信をお送りします。",
    due_unknown: "今後の流れ: できるだけ早く返信いたします。",
    add: "追加の情報がある場合は、このメールに返信してください。",
    received_subject: "{site}はお問い合わせを受け付けました",
    why: "このメールは、お問い合わせについて{site}からお送りしています。",
    stop: "これらのメールの配信を停止する",
    files: "この返信の添付ファイル(各リンクから7日間ファイルを開けます):",
    weekdays: ["月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"],
    months: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
    date: "{year}年{month}{day}日({weekday}) {time} {zone}",
};

const AR: Words = Words {
    agent_from: "{agent} من {site}",
    you: "أنت",
    earlier: "في وقت سابق من هذه المحادثة:",
    reply_next: "ما الخطوة التالية: ردّ على هذه الرسالة وسيُضاف ردّك إلى المحادثة (رقم الطلب {reference}). سنراسلك عندما يردّ {site} مجددًا.",
    reply_subject: "ردّ من {site}",
    solved: "وضع {site} علامة «تم الحل» على طلبك {reference}.",
    question: "هل حللنا مشكلتك؟",
    yes: "نعم، تم الحل",
    no: "لا، لم يتم الحل",
    solved_next: "ما الخطوة التالية: لا شيء، ما لم تردّ على هذه الرسالة؛ فالرد يعيد فتح الطلب.",
    solved_subject: "تم حل طلبك لدى {site}",
    received: "استلم {site} طلبك. رقم طلبك هو {reference}.",
    due: "ما الخطوة التالية: سيصلك أول ردّ قبل {due}.",
    due_unknown: "ما الخطوة التالية: سنردّ عليك في أقرب وقت ممكن.",
    add: "لإضافة أي شيء، ردّ على هذه الرسالة.",
    received_subject: "استلم {site} طلبك",
    why: "أرسل إليك {site} هذه الرسالة بخصوص طلبك.",
    stop: "إيقاف هذه الرسائل",
    files: "الملفات المرفقة بهذا الرد (يفتح كل رابط ملفه لمدة 7 أيام):",
    weekdays: ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"],
    months: ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"],
    date: "{weekday} {day} {month} {year}، {time} {zone}",
};
