use brcommerce::ErrorKind;
use brcommerce::ecomdc::{Cursor, ProductFilter, types};
use futures::TryStreamExt;
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use rust_decimal_macros::dec;
use serde_json::json;

use super::common::{Bodies, assert_json_eq};
use super::{ID, TOKEN, body_example, client, example};

#[tokio::test]
async fn list_products_sends_credentials_and_page_and_decodes_the_manual_example() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/produtos")
                .query_param("page", "2")
                .query_param_missing("precos_atacado")
                .header("x-ID", ID)
                .header("x-Token", TOKEN)
                .header("content-type", "application/json")
                .header_missing("api-version");
            then.status(200).json_body(example("list_products", "200"));
        })
        .await;
    let page = client(&server)
        .products_page(&Default::default(), Some(&Cursor::Number(2)))
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(page.items.len(), 1);
    let p = &page.items[0];
    assert_eq!(p.codigo, "1144AXXXXAVD4");
    assert_eq!(p.preco.value(), Some(dec!(720)));
    assert_eq!(p.peso.value(), Some(dec!(13)));
    assert_eq!(p.modelos[0].options().len(), 2);
    assert_eq!(p.modelos[0].options()[1].ean.get(), None, "\"\" is no EAN");
    assert_eq!(page.pages, Some(1));
    assert_eq!(page.total, Some(1));
    assert!(page.is_last());
}

#[tokio::test]
async fn wholesale_prices_flag_is_sent_when_asked() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/produtos")
                .query_param("page", "1")
                .query_param("precos_atacado", "true");
            then.status(200).json_body(example("list_products", "200"));
        })
        .await;
    client(&server)
        .products_page(&ProductFilter::new().wholesale_prices(), None)
        .await
        .unwrap();
    m.assert_async().await;
}

#[tokio::test]
async fn get_product_reads_numbers_sent_as_strings() {
    let server = MockServer::start_async().await;
    let mut body = example("get_product", "200");
    // GET returns numbers as strings (the manual's remark); both forms must decode.
    body["produto"]["preco"] = json!("720.00");
    body["produto"]["custo"] = json!("610,50");
    body["produto"]["modelos"][0]["itens"][0]["estoque"] = json!("10");
    body["produto"]["modelos"][0]["crossdocking"] = json!("");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produto/777");
            then.status(200).json_body(body);
        })
        .await;
    let p = client(&server).product("777").await.unwrap();
    assert_eq!(p.nome, "Produto de Teste 777");
    assert_eq!(p.preco.value(), Some(dec!(720.00)));
    assert_eq!(p.custo.value(), Some(dec!(610.50)));
    assert_eq!(p.modelos[0].options()[0].estoque.value(), Some(10));
    assert_eq!(p.modelos[0].crossdocking.value(), None);
    assert_eq!(
        p.departments().trees(),
        &[vec!["Esportes".to_owned(), "Bicicletas".to_owned()]]
    );
    assert_eq!(p.attributes().unwrap().get("Freios"), Some("V-BREAK"));
}

#[tokio::test]
async fn product_with_wholesale_prices_sends_the_flag_on_the_single_read() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/produto/777")
                .query_param("precos_atacado", "true");
            then.status(200).json_body(example("get_product", "200"));
        })
        .await;
    client(&server)
        .product_with_wholesale_prices("777")
        .await
        .unwrap();
    m.assert_async().await;
}

#[tokio::test]
async fn product_by_reference_uses_the_referencia_filter() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/produto")
                .query_param("referencia", "SKU12000");
            then.status(200)
                .json_body(example("get_product_by_reference", "200"));
        })
        .await;
    let p = client(&server)
        .product_by_reference("SKU12000")
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(p.codigo, "777");
}

#[tokio::test]
async fn options_sent_as_opcoes_are_read_too() {
    let server = MockServer::start_async().await;
    let mut body = example("get_product", "200");
    let itens = body["produto"]["modelos"][0]["itens"].take();
    body["produto"]["modelos"][0]
        .as_object_mut()
        .unwrap()
        .remove("itens");
    body["produto"]["modelos"][0]["opcoes"] = itens;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produto/777");
            then.status(200).json_body(body);
        })
        .await;
    let p = client(&server).product("777").await.unwrap();
    let refs: Vec<&str> = p.modelos[0]
        .options()
        .iter()
        .filter_map(|o| o.referencia.get().map(String::as_str))
        .collect();
    assert_eq!(refs, ["11482378", "11482379"]);
}

#[tokio::test]
async fn create_product_sends_exactly_the_manual_body() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let m = server
        .mock_async(|when, then| {
            bodies.record(
                when.method(POST)
                    .path("/produto")
                    .header("content-type", "application/json"),
            );
            then.status(201);
        })
        .await;
    let manual = body_example("create_product");
    let typed: types::ProductCreate = serde_json::from_value(manual.clone()).unwrap();
    client(&server).create_product(typed).await.unwrap();
    m.assert_async().await;
    assert_json_eq(&bodies.last_json(), &manual);
    // Money goes out as JSON floats (the provider answers 412 to wrong types).
    assert_eq!(bodies.last_json()["preco"], json!(720.0));
}

#[tokio::test]
async fn create_product_from_the_builder() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/produto"));
            then.status(201).body("ok");
        })
        .await;
    let option = types::OptionInput::builder()
        .nome_opcao("P".parse::<types::OptionInputNomeOpcao>().unwrap())
        .referencia("11482378".parse::<types::OptionInputReferencia>().unwrap())
        .estoque(12);
    let model = types::ModelInput::builder()
        .nome("Amarela".parse::<types::ModelInputNome>().unwrap())
        .itens(vec![option.try_into().unwrap()]);
    let product = types::ProductCreate::builder()
        .nome("Bicicleta")
        .codigo("8899")
        .descricao("Mountain bike")
        .departamento("Esportes>Bicicletas")
        .fabricante("Caloi")
        .preco(brcommerce::common::lenient::DecimalNumber(dec!(720.00)))
        .peso(brcommerce::common::lenient::DecimalNumber(dec!(13.400)))
        .modelos(vec![model.try_into().unwrap()]);
    client(&server).create_product(product).await.unwrap();
    assert_json_eq(
        &bodies.last_json(),
        &json!({
            "nome": "Bicicleta", "codigo": "8899", "descricao": "Mountain bike",
            "departamento": "Esportes>Bicicletas", "fabricante": "Caloi", "preco": 720.0, "peso": 13.4,
            "modelos": [{"nome": "Amarela", "itens": [{"nome_opcao": "P", "referencia": "11482378", "estoque": 12}]}]
        }),
    );
}

#[tokio::test]
async fn create_product_refuses_a_name_over_100_characters_before_sending() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(201);
        })
        .await;
    let manual: types::ProductCreate =
        serde_json::from_value(body_example("create_product")).unwrap();
    let too_long = types::builder::ProductCreate::from(manual).nome("x".repeat(101));
    let err = client(&server).create_product(too_long).await.unwrap_err();
    assert_eq!(m.calls_async().await, 0, "nothing may be sent");
    match err.kind() {
        ErrorKind::InvalidInput { field, message } => {
            assert_eq!(field, "nome", "{message}");
            assert!(message.contains("100"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.operation(), "create_product");
}

#[tokio::test]
async fn update_product_sends_the_manual_body_to_the_code_path() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    let m = server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/produto/8899"));
            then.status(201);
        })
        .await;
    let manual = body_example("update_product");
    let typed: types::ProductUpdate = serde_json::from_value(manual.clone()).unwrap();
    client(&server).update_product("8899", typed).await.unwrap();
    m.assert_async().await;
    let sent = bodies.last_json();
    assert_json_eq(&sent, &manual);
    assert!(
        sent.get("codigo").is_none(),
        "codigo travels in the path only"
    );
}

#[tokio::test]
async fn a_read_product_converts_to_its_update_form() {
    let read: types::Product =
        serde_json::from_value(example("get_product", "200")["produto"].clone()).unwrap();
    let update = read.to_update().unwrap();
    let json = serde_json::to_value(&update).unwrap();
    assert_eq!(
        json["preco"],
        json!(720.0),
        "numbers are sent as JSON numbers"
    );
    assert_eq!(
        json["modelos"][0]["itens"][1]["referencia"],
        json!("11482379")
    );
    assert_eq!(json["modelos"][0]["itens"][1]["estoque"], json!(10));
    assert!(
        json["modelos"][0].get("url_produto").is_none(),
        "url_produto is read-only"
    );
    assert!(
        json["modelos"][0]["itens"][0].get("sku").is_none(),
        "sku is read-only"
    );
    assert!(json.get("codigo").is_none());
    // What we send decodes again into the same update.
    let back: types::ProductUpdate = serde_json::from_value(json).unwrap();
    assert_eq!(back, update);
}

#[tokio::test]
async fn to_update_names_the_field_that_does_not_fit() {
    let mut body = example("get_product", "200")["produto"].clone();
    body["modelos"][0]["itens"][0]["estoque"] = json!("");
    let read: types::Product = serde_json::from_value(body).unwrap();
    let err = read.to_update().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "modelos[0].itens[0].estoque"),
        "{err}"
    );
}

#[tokio::test]
async fn conflict_on_create_is_a_provider_error_with_its_message() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/produto");
            then.status(409)
                .json_body(json!({"erro": "Código já existe"}));
        })
        .await;
    let product: types::ProductCreate =
        serde_json::from_value(body_example("create_product")).unwrap();
    let err = client(&server).create_product(product).await.unwrap_err();
    let p = err.provider_error().expect("provider error");
    assert_eq!(p.status, 409);
    assert_eq!(p.message, "Código já existe");
    assert_eq!(err.attempts(), 1, "a POST is never repeated");
}

#[tokio::test]
async fn all_products_stream_over_three_pages_driven_by_totais() {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for page in 1..=3 {
        let mut body = example("list_products", "200");
        body["produtos"][0]["codigo"] = json!(format!("P{page}"));
        body["totais"] =
            json!({"totalProdutos": "3", "totalPaginas": "3", "paginaAtual": page.to_string()});
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(GET)
                        .path("/produtos")
                        .query_param("page", page.to_string());
                    then.status(200).json_body(body);
                })
                .await,
        );
    }
    let codes: Vec<String> = client(&server)
        .products(&ProductFilter::new())
        .map_ok(|p| p.codigo)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(codes, ["P1", "P2", "P3"]);
    for m in mocks {
        m.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn wholesale_campaigns_of_any_shape_never_cost_the_product() {
    // M119-124, M210-215: `precos_atacado=true` shows "campanhas de atacado", with no shape and
    // no key name; PHP sends `false` or `""` for none.
    let object = json!({"campanha": "Atacado 10+", "quantidade": "10", "preco": "650.00"});
    let cases = [
        (json!(false), None),
        (json!(""), None),
        (object.clone(), Some(object.clone())),
        (json!([object.clone()]), Some(json!([object]))),
    ];
    for (value, want) in cases {
        let server = MockServer::start_async().await;
        let mut single = example("get_product", "200");
        single["produto"]["precos_atacado"] = value.clone();
        let mut page = example("list_products", "200");
        page["produtos"][0]["precos_atacado"] = value.clone();
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/produto/777")
                    .query_param("precos_atacado", "true");
                then.status(200).json_body(single);
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/produtos")
                    .query_param("precos_atacado", "true");
                then.status(200).json_body(page);
            })
            .await;
        let c = client(&server);
        let p = c.product_with_wholesale_prices("777").await.unwrap();
        assert_eq!(p.wholesale_campaigns(), want.as_ref(), "{value}");
        assert_eq!(p.precos_atacado.as_ref(), Some(&value), "kept as sent");
        let listed = c
            .products_page(&ProductFilter::new().wholesale_prices(), None)
            .await
            .unwrap();
        assert!(listed.rejected.is_empty(), "{value}: {:?}", listed.rejected);
        assert_eq!(listed.items[0].wholesale_campaigns(), want.as_ref());
    }
}

/// The manual's product as a store's admin may hold it: created without a reference (M360
/// "referencia … Não"), as a single unnamed model (M351 "Não/Sim"), with empty descriptive fields.
fn product_without_reference_or_model_name() -> serde_json::Value {
    let mut p = example("get_product", "200")["produto"].clone();
    let product = p.as_object_mut().unwrap();
    product.remove("descricao");
    product.insert("departamento".into(), json!(null));
    product.remove("fabricante");
    let model = p["modelos"][0].as_object_mut().unwrap();
    model.remove("nome");
    p["modelos"][0]["itens"][0]
        .as_object_mut()
        .unwrap()
        .remove("referencia");
    p["modelos"][0]["itens"][1]["referencia"] = json!(null);
    p
}

#[tokio::test]
async fn a_product_without_reference_or_model_name_is_read() {
    let server = MockServer::start_async().await;
    let product = product_without_reference_or_model_name();
    let page = json!({"produtos": [product.clone()], "totais": {"totalProdutos": "1", "totalPaginas": "1", "paginaAtual": "1"}});
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produto/777");
            then.status(200).json_body(json!({"produto": product}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/produtos");
            then.status(200).json_body(page);
        })
        .await;
    let c = client(&server);
    let listed = c.products_page(&ProductFilter::new(), None).await.unwrap();
    assert!(listed.rejected.is_empty(), "{:?}", listed.rejected);
    let single = c.product("777").await.unwrap();
    for p in [&single, &listed.items[0]] {
        assert_eq!(p.codigo, "777");
        assert_eq!(p.descricao.get(), None);
        assert!(p.departments().trees().is_empty());
        assert_eq!(p.fabricante.get(), None);
        let model = &p.modelos[0];
        assert_eq!(model.nome.get(), None);
        let refs: Vec<_> = model.options().iter().map(|o| o.referencia.get()).collect();
        assert_eq!(refs, [None, None]);
        assert_eq!(model.options()[1].estoque.value(), Some(10));
    }
}

#[tokio::test]
async fn to_update_refuses_an_option_without_a_reference() {
    // An update identifies options by `referencia` and creates the ones it does not find
    // (M420-425): written back without one, the option would be created again.
    let read: types::Product =
        serde_json::from_value(product_without_reference_or_model_name()).unwrap();
    let err = read.to_update().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput { field, .. } if field == "modelos[0].itens[0].referencia"),
        "{err}"
    );
}

#[tokio::test]
async fn to_update_of_a_single_unnamed_model_sends_no_name_and_no_blank_fields() {
    let mut body = product_without_reference_or_model_name();
    body["modelos"][0]["itens"][0]["referencia"] = json!("11482378");
    body["modelos"][0]["itens"][1]["referencia"] = json!(11482379);
    let read: types::Product = serde_json::from_value(body).unwrap();
    let json = serde_json::to_value(read.to_update().unwrap()).unwrap();
    for field in ["descricao", "departamento", "fabricante"] {
        assert!(json.get(field).is_none(), "{field}: {json}");
    }
    assert!(json["modelos"][0].get("nome").is_none(), "{json}");
    assert_eq!(
        json["modelos"][0]["itens"][1]["referencia"],
        json!("11482379")
    );
}

#[tokio::test]
async fn writing_a_read_product_back_does_not_send_its_images_again() {
    // M421 "As imagens serão substituídas, se enviadas", each URL imported again in up to 5 s
    // (M83): a read-modify-write that changes the price must not re-import every image.
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(PUT).path("/produto/777"));
            then.status(201);
        })
        .await;
    let read: types::Product =
        serde_json::from_value(example("get_product", "200")["produto"].clone()).unwrap();
    assert_eq!(read.modelos[0].image_urls().0.len(), 2);
    let mut update = read.to_update().unwrap();
    update.preco = Some(brcommerce::common::lenient::DecimalNumber(dec!(699.90)));
    client(&server)
        .update_product("777", update.clone())
        .await
        .unwrap();
    let sent = bodies.last_json();
    assert_eq!(sent["preco"], json!(699.9));
    for field in ["imagens", "imagens_retangulares"] {
        assert!(sent["modelos"][0].get(field).is_none(), "{field}: {sent}");
    }
    // Images set on the update are sent.
    update.modelos[0].imagens = Some("https://www.exemplo.com.br/9.jpg".parse().unwrap());
    client(&server).update_product("777", update).await.unwrap();
    assert_eq!(
        bodies.last_json()["modelos"][0]["imagens"],
        json!("https://www.exemplo.com.br/9.jpg")
    );
}

#[tokio::test]
async fn the_operations_known_by_name_only_are_reachable_through_raw() {
    // M1135-1137 (change log, 19/08/2024): GET getCoresModelos and PUT putCoresModelos ("to add
    // a new colour leave out cod_cor"), POST/PUT/GET atributosDepartamentos; no shapes given.
    let server = MockServer::start_async().await;
    let colours = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/getCoresModelos")
                .header("x-ID", ID)
                .header("x-Token", TOKEN);
            then.status(200)
                .json_body(json!([{"cod_cor": 12, "nome": "Azul"}]));
        })
        .await;
    let new_colour = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/putCoresModelos")
                .json_body(json!({"nome": "Verde Musgo"}));
            then.status(503);
        })
        .await;
    let attributes = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/atributosDepartamentos")
                .json_body(json!({"departamento": "Esportes", "atributos": "Aro"}));
            then.status(201).body("OK");
        })
        .await;
    let c = client(&server);
    let read = c.run(c.raw().list_model_colours().send()).await.unwrap();
    assert_eq!(read[0]["cod_cor"], 12, "any JSON is read");
    colours.assert_async().await;

    let mut colour = serde_json::Map::new();
    colour.insert("nome".into(), json!("Verde Musgo"));
    let err = c
        .run_write(
            c.raw()
                .put_model_colour()
                .body(types::ModelColourWrite(colour))
                .send(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    new_colour.assert_calls_async(1).await; // a colour without cod_cor is created: sent once

    let mut body = serde_json::Map::new();
    body.insert("departamento".into(), json!("Esportes"));
    body.insert("atributos".into(), json!("Aro"));
    let written = c
        .run_write(
            c.raw()
                .create_department_attributes()
                .body(types::DepartmentAttributesWrite(body))
                .send(),
        )
        .await
        .unwrap();
    assert!(
        matches!(written, brcommerce::Written::Unread(_)),
        "{written:?}"
    );
    attributes.assert_async().await;
}
