<?php
// The "AddPerson" sample of the Conference Management API document, unchanged
// but for where it reads the base URL and credentials: from the environment
// (BATON_URL, BATON_CUSTOMER, BATON_KEY) instead of constants edited by hand.
//
//   BATON_URL=http://127.0.0.1:8080 BATON_CUSTOMER=… BATON_KEY=… \
//     php examples/php/add-person.php <conferenceUID>
function AddPerson( $ConferenceId, $Role, $Name, $Email, $Notes )
{
    $MCBaseUrl = getenv("BATON_URL") . "/_access/";

    //Retrieve Maestro Conference CustomerUID and Security Token
    $CustId     = getenv("BATON_CUSTOMER"); //Add your CustomerUID here
    $SecurityToken = getenv("BATON_KEY"); // Add the 32 character Security Toker here

    $ch = curl_init();
    $Url = $MCBaseUrl . "addPerson"; // Add Person Call
    echo $Url . "<br />";

    //Create POST Array for Post Variables
    $PostFields["customer"] = $CustId;
    $PostFields["key"]      = $SecurityToken;
    $PostFields["conference"] = $ConferenceId;
    $PostFields["role"]     = $Role;
    $PostFields["name"]     = $Name;
    $PostFields["email"]    = $Email;
    $PostFields["notes"]    = $Notes;
    $PostFields["type"]     = "json";

    echo "<pre>";
    print_r($PostFields);
    echo "</pre>";

    curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false);
    curl_setopt($ch, CURLOPT_POST, 1);
    curl_setopt($ch, CURLOPT_URL,$Url);
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, 1);
    curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query($PostFields));
    $Response = curl_exec($ch);
    curl_close ($ch);

    //Decode the Reponse to JSON Array
    $Response = json_decode($Response, true);
    echo "<pre>";
    print_r($Response);
    echo "</pre>";
    //If $Response['code']==0 means no error -
    if( $Response['code'] == 0 ) {

        //Return PIN code returned by Maestro Conference API Call
        return $Response['value']['PIN'];
    }
    //In case of error just return a NULL
    return null;
}

$Pin = AddPerson( $argv[1], "PARTICIPANT", "Ann Example", "ann@example.org", "Registered from PHP" );
echo "\nPIN: " . var_export($Pin, true) . "\n";
?>
